"""Every draft transition moves a row only from the states it may leave, bumps the
version and writes its audit row with it; a refused one changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select, update

from socialbot.store import Store, lifecycle, open_store
from socialbot.store.drafts import DRAFTS, DraftStatus
from socialbot.store.lifecycle import DraftRef
from socialbot.store.tables import AuditRow
from tests.moderation.support import T0, drafted_store, reply_config

AUDIT = AuditRow.__table__  # type: ignore[attr-defined]
REF = DraftRef(1, "twitter", "twitter0")
SESSION, LATER = "ana/1", T0 + timedelta(minutes=10)
OLD = T0 - timedelta(hours=1)

Transition = Callable[[Connection], object]

#: each transition, and the only statuses it may leave
TRANSITIONS: dict[str, tuple[Transition, set[DraftStatus]]] = {
    "approve": (lambda c: lifecycle.approve(c, REF, session=SESSION, moderator="ana", text="ok",
                                            edited=False, now=T0, detail={}),
                {DraftStatus.PENDING}),
    "reject": (lambda c: lifecycle.reject(c, REF, session=SESSION, moderator="ana",
                                          reason="off tone", now=T0, detail={}),
               {DraftStatus.PENDING}),
    "rewrite": (lambda c: lifecycle.rewrite(c, REF, session=SESSION, moderator="ana",
                                            values={"text": "new"}, action="draft.regenerate",
                                            now=T0, detail={}),
                {DraftStatus.PENDING}),
    "undo approval": (lambda c: lifecycle.undo_decision(
        c, REF, decided=DraftStatus.APPROVED, moderator="ana", session=SESSION, until=LATER,
        now=T0), {DraftStatus.APPROVED}),
    "undo rejection": (lambda c: lifecycle.undo_decision(
        c, REF, decided=DraftStatus.REJECTED, moderator="ana", session=SESSION, until=LATER,
        now=T0), {DraftStatus.REJECTED}),
    "start posting": (lambda c: lifecycle.start_posting(c, REF, version=7, now=T0),
                      {DraftStatus.APPROVED}),
    "resume posting": (lambda c: lifecycle.resume_posting(c, REF, version=7, stale_before=T0,
                                                          now=T0), {DraftStatus.POSTING}),
    "posted": (lambda c: lifecycle.posted(c, REF, text="ok", platform_reply_id="9",
                                          recovered=False, now=T0), {DraftStatus.POSTING}),
    "dry run": (lambda c: lifecycle.dry_run(c, REF, version=7, text="ok", now=T0),
                {DraftStatus.APPROVED}),
    "rate limited": (lambda c: lifecycle.wait_for_budget(c, REF, reason="429", now=T0),
                     {DraftStatus.POSTING}),
    "fail": (lambda c: lifecycle.fail(c, REF, leaving=[DraftStatus.APPROVED,
                                                        DraftStatus.POSTING],
                                      reason="refused", now=T0),
             {DraftStatus.APPROVED, DraftStatus.POSTING}),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    tmp: Path = tmp_path_factory.mktemp("lifecycle")
    config = reply_config(tmp)
    s = open_store(config)
    drafted_store(s, config, 1)
    yield s
    s.dispose()


def put(conn: Connection, status: DraftStatus) -> None:
    """Force the draft into `status`, claimed by SESSION, at version 7 (test set-up only)."""
    conn.execute(update(DRAFTS).where(DRAFTS.c.id == 1).values(
        status=status.value, version=7, claimed_by=SESSION, claim_expires_at=LATER,
        decided_by="ana", approved_text="ok", posting_at=OLD))


@pytest.mark.parametrize("status", list(DraftStatus))
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_a_transition_moves_only_from_the_states_it_may_leave(
    store: Store, name: str, status: DraftStatus
) -> None:
    transition, leaves = TRANSITIONS[name]
    with store.transaction() as conn:
        put(conn, status)
        audits = conn.execute(select(func.count()).select_from(AUDIT)).scalar_one()
        moved = transition(conn)
        version = conn.execute(select(DRAFTS.c.version).where(DRAFTS.c.id == 1)).scalar_one()
        new_audits = conn.execute(select(func.count()).select_from(AUDIT)).scalar_one() - audits
        after = conn.execute(select(DRAFTS.c.status).where(DRAFTS.c.id == 1)).scalar_one()
    allowed = status in leaves
    assert bool(moved) is allowed
    assert (version, new_audits) == ((8, 1) if allowed else (7, 0))
    if not allowed:
        assert after == status.value


def test_the_poster_claims_only_the_version_it_read(store: Store) -> None:
    with store.transaction() as conn:
        put(conn, DraftStatus.APPROVED)
        assert lifecycle.start_posting(conn, REF, version=6, now=T0) is None
        assert lifecycle.start_posting(conn, REF, version=7, now=T0) == "ok"
        # in `posting` nothing can take the approval back or change its text
        assert not lifecycle.undo_decision(conn, REF, decided=DraftStatus.APPROVED,
                                           moderator="ana", session=SESSION, until=LATER,
                                           now=T0)
        assert not lifecycle.approve(conn, REF, session=SESSION, moderator="ana",
                                     text="other", edited=True, now=T0, detail={})
        assert conn.execute(select(DRAFTS.c.approved_text)).scalar_one() == "ok"
