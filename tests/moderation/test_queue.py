"""The queue's logic: claim, decide, undo, audit; two moderators never decide one draft twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from socialbot.config import Config
from socialbot.drafting.drafter import DraftResult
from socialbot.moderation.queue import ClaimLost, ModerationQueue, QueueError, QueueItem
from socialbot.stages.post import PostStage
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS
from socialbot.store.engine import create_store_engine
from socialbot.store.tables import AuditRow
from tests.moderation.support import FakeClock, drafted_store, reply_config

AUDIT = AuditRow.__table__  # type: ignore[attr-defined]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return reply_config(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def drafted(any_store: Store, config: Config) -> Store:
    drafted_store(any_store, config, 6)
    return any_store


def draft(store: Store, draft_id: int) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(select(DRAFTS).where(DRAFTS.c.id == draft_id)).one()


def audit(store: Store) -> list[tuple[str, str, str, dict[str, Any]]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(AUDIT).where(AUDIT.c.action != "draft.created")
                            .order_by(AUDIT.c.id)).all()
    return [(r.actor, r.action, r.subject, json.loads(r.detail)) for r in rows]


def session(store: Store, clock: FakeClock, name: str = "ana", **kw: Any) -> ModerationQueue:
    return ModerationQueue(store, moderator=name, claim_timeout=600, clock=clock, **kw)


def test_the_first_draft_offered_comes_with_its_post(drafted: Store, clock: FakeClock) -> None:
    item = session(drafted, clock).next()
    assert item is not None
    assert (item.draft_id, item.post_id, item.author) == (1, "twitter0", "user0")
    assert item.post_text == "@parcelly order 0 is late"
    assert item.sentiment == "negative" and item.topics == ("delivery",)
    assert item.text.startswith("Sorry about that, @user0")


def test_approve_edit_reject_each_leave_an_audit_row(drafted: Store, clock: FakeClock) -> None:
    queue = session(drafted, clock)
    first, second, third = queue.next(), queue.next(), queue.next()
    assert first and second and third
    queue.approve(first)
    queue.approve(second, "Sorry! Our team will DM you. ^PB")
    queue.reject(third, "we already called them")
    assert draft(drafted, 1).status == "approved" and draft(drafted, 1).approved_text == first.text
    assert draft(drafted, 2).approved_text == "Sorry! Our team will DM you. ^PB"
    assert draft(drafted, 3).reject_reason == "we already called them"
    assert all(draft(drafted, i).decided_by == "ana" for i in (1, 2, 3))
    rows = audit(drafted)
    assert [(a, act, s) for a, act, s, _ in rows] == [
        ("ana", "draft.approve", "draft:1"),
        ("ana", "draft.edit_approve", "draft:2"),
        ("ana", "draft.reject", "draft:3"),
    ]
    assert rows[1][3]["text"] == "Sorry! Our team will DM you. ^PB"
    assert rows[1][3]["drafted_text"] == second.text and rows[1][3]["edited"] is True
    counts = queue.counts()
    assert (counts.pending, counts.approved_today, counts.rejected_today) == (3, 2, 1)


def test_undo_puts_the_last_decision_back_and_audits_it(drafted: Store, clock: FakeClock) -> None:
    queue = session(drafted, clock)
    first = queue.next()
    assert first
    queue.reject(first, "meh")
    back = queue.undo()
    assert back.draft_id == first.draft_id
    row = draft(drafted, first.draft_id)
    assert (row.status, row.reject_reason, row.decided_by) == ("pending", None, None)
    assert row.claimed_by == queue.session  # back in this moderator's hands
    queue.approve(back)
    assert draft(drafted, first.draft_id).status == "approved"
    assert [a[1] for a in audit(drafted)] == ["draft.reject", "draft.undo", "draft.approve"]
    with pytest.raises(QueueError, match="nothing to undo"):
        queue.undo(), queue.undo()


def test_undoing_an_edited_approval_gives_the_moderator_their_edit_back(
    drafted: Store, clock: FakeClock
) -> None:
    queue = session(drafted, clock)
    item = queue.next()
    assert item
    edit = "So sorry, Jane! A person from our team will DM you today. ^PB"
    queue.approve(item, edit)
    back = queue.undo()
    assert back.draft_id == item.draft_id
    assert back.text == edit  # not the model's draft
    assert back.flags == ()  # the edit's own flags: it passes the guardrails
    row = draft(drafted, item.draft_id)
    assert (row.status, row.approved_text, row.claimed_by) == ("pending", None, queue.session)
    undo = audit(drafted)[-1]
    assert undo[1] == "draft.undo" and undo[3]["text"] == edit and undo[3]["kept"] == "edit"
    queue.approve(back)  # approved again as it now stands: the moderator's text
    assert draft(drafted, item.draft_id).approved_text == edit
    # the model's text is not lost: the edited approval's audit row names it
    assert audit(drafted)[0][3]["drafted_text"] == item.text


def test_undoing_an_edit_keeps_the_flags_of_the_edit(drafted: Store, clock: FakeClock) -> None:
    queue = session(drafted, clock)
    item = queue.next()
    assert item and item.flags == ()
    queue.approve(item, "Call us on 0800 123 4567. ^PB")  # a figure the voice never gave
    back = queue.undo()
    assert back.text == "Call us on 0800 123 4567. ^PB"
    assert back.flags and back.flags == tuple(
        {"code": f.code, "reason": f.reason} for f in queue.check_edit(back, back.text))


def test_an_approval_the_poster_took_cannot_be_undone(
    drafted: Store, config: Config, clock: FakeClock
) -> None:
    queue = session(drafted, clock)
    item = queue.next()
    assert item
    queue.approve(item)
    PostStage(drafted, config, connector_for=lambda _p, _w: None, wall_clock=clock).run_batch()
    with pytest.raises(QueueError, match="poster"):
        queue.undo()
    assert draft(drafted, item.draft_id).status == "dry-run"


def test_skip_passes_the_draft_on_and_undo_takes_it_back(drafted: Store, clock: FakeClock) -> None:
    ana, ben = session(drafted, clock), session(drafted, clock, "ben")
    first = ana.next()
    assert first
    ana.skip(first)
    second = ana.next()
    assert second and second.draft_id != first.draft_id  # not offered again to ana
    theirs = ben.next()
    assert theirs and theirs.draft_id == first.draft_id  # but free for ben
    with pytest.raises(QueueError, match="taken"):
        ana.undo()


def test_an_expired_claim_can_be_taken_and_the_late_decision_fails(
    drafted: Store, clock: FakeClock
) -> None:
    ana, ben = session(drafted, clock), session(drafted, clock, "ben")
    mine = ana.next()
    assert mine
    clock.advance(minutes=11)
    theirs = ben.next()
    # ben is offered the most urgent drafts first; ana's lapsed one is among them
    while theirs is not None and theirs.draft_id != mine.draft_id:
        theirs = ben.next()
    assert theirs and theirs.draft_id == mine.draft_id
    with pytest.raises(ClaimLost):
        ana.approve(mine)
    ben.reject(theirs, "off brand")
    assert draft(drafted, mine.draft_id).status == "rejected"
    assert [a[1] for a in audit(drafted)] == ["draft.reject"]


def test_renewing_keeps_a_slow_moderators_claim(drafted: Store, clock: FakeClock) -> None:
    ana, ben = session(drafted, clock), session(drafted, clock, "ben")
    mine = ana.next()
    assert mine
    clock.advance(minutes=8)
    mine = ana.renew(mine)
    clock.advance(minutes=8)
    theirs = ben.next()
    assert theirs and theirs.draft_id != mine.draft_id
    ana.approve(mine)


def test_regenerate_replaces_the_text_and_undo_restores_it(
    drafted: Store, clock: FakeClock
) -> None:
    def regenerate(item: QueueItem) -> DraftResult:
        from models.prompting import DraftRequest

        return DraftResult(DraftRequest(item.post_text), "Hi! Could you DM us your details?",
                           (), 1, 5, "echo-2", "Hi! Could you DM us your details?")

    queue = session(drafted, clock, regenerate_with=regenerate)
    item = queue.next()
    assert item
    fresh = queue.regenerate(item)
    assert fresh.text == "Hi! Could you DM us your details?" and fresh.attempts == 2
    assert draft(drafted, item.draft_id).generator_version == "echo-2"
    restored = queue.undo()
    assert restored.text == item.text
    queue.approve(restored)
    assert draft(drafted, item.draft_id).approved_text == item.text


def test_regenerate_without_a_generator_says_so(drafted: Store, clock: FakeClock) -> None:
    queue = session(drafted, clock)
    item = queue.next()
    assert item
    with pytest.raises(QueueError, match="generator"):
        queue.regenerate(item)


def test_an_empty_approval_is_refused(drafted: Store, clock: FakeClock) -> None:
    queue = session(drafted, clock)
    item = queue.next()
    assert item
    with pytest.raises(QueueError, match="empty"):
        queue.approve(item, "   ")
    assert draft(drafted, item.draft_id).status == "pending"


@pytest.fixture
def second_store(drafted: Store) -> Iterator[Store]:
    """Another process's view of the same database: its own engine and connections."""
    other = Store(create_store_engine(drafted.engine.url.render_as_string(hide_password=False)))
    yield other
    other.dispose()


def test_two_moderators_never_decide_the_same_draft(
    drafted: Store, second_store: Store, clock: FakeClock
) -> None:
    decided: dict[str, list[int]] = {"ana": [], "ben": []}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def moderate(store: Store, name: str) -> None:
        try:
            queue = session(store, clock, name)
            barrier.wait()
            while (item := queue.next()) is not None:
                queue.approve(item) if item.draft_id % 2 else queue.reject(item, "no")
                decided[name].append(item.draft_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=moderate, args=(drafted, "ana")),
               threading.Thread(target=moderate, args=(second_store, "ben"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert set(decided["ana"]).isdisjoint(decided["ben"])
    assert sorted(decided["ana"] + decided["ben"]) == [1, 2, 3, 4, 5, 6]
    with drafted.engine.connect() as conn:
        per_draft = dict(conn.execute(
            select(AUDIT.c.subject, func.count()).where(AUDIT.c.action != "draft.created")
            .group_by(AUDIT.c.subject)).all())
        pending = conn.execute(
            select(func.count()).select_from(DRAFTS).where(DRAFTS.c.status == "pending")
        ).scalar_one()
    assert per_draft == {f"draft:{i}": 1 for i in range(1, 7)}
    assert pending == 0


def test_an_edit_too_long_for_the_platform_is_refused(drafted: Store, clock: FakeClock) -> None:
    queue = session(drafted, clock)
    item = queue.next()
    assert item
    with pytest.raises(QueueError, match="too long"):
        queue.approve(item, "Sorry! " * 50)
    assert draft(drafted, item.draft_id).status == "pending"
    queue.approve(item, "Sorry! We'll DM you.")  # the claim is still good


def test_a_flagged_edit_may_be_approved_and_the_flags_are_audited(
    drafted: Store, clock: FakeClock
) -> None:
    queue = session(drafted, clock)
    item = queue.next()
    assert item
    edit = "Sorry! See https://status.example.io for updates."
    assert [f.code for f in queue.check_edit(item, edit)] == ["link"]
    queue.approve(item, edit)
    [(_, action, _, detail)] = audit(drafted)
    assert action == "draft.edit_approve" and detail["flags"] == ["link"]
