"""The poster: approved drafts only, the exact approved text, once, within budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import Connector, ConnectorError, TransientError
from socialbot.config import Config
from socialbot.domain import Page, Reply
from socialbot.moderation.queue import ModerationQueue
from socialbot.stages.post import PostStage
from socialbot.store import Store, open_store
from socialbot.store.drafts import DRAFTS
from socialbot.store.tables import AuditRow
from tests.moderation.support import FakeClock, drafted_store, reply_config

AUDIT = AuditRow.__table__  # type: ignore[attr-defined]


class Crash(BaseException):
    """The process dying: nothing catches it."""


class FakePlatform(Connector):
    """An in-process platform: replies land in `sent`; it can fail the ways real ones do."""

    kind = "twitter"

    def __init__(self, *, fail: Exception | None = None, crash_after_send: bool = False,
                 crash_before_send: bool = False) -> None:
        super().__init__("fake", {})
        self.sent: list[tuple[str, Reply]] = []
        self.lookups: list[int] = []
        self.fail = fail
        self.crash_after_send = crash_after_send
        self.crash_before_send = crash_before_send

    def fetch(self, cursor: str | None, *, limit: int) -> Page:
        return Page([])

    def reply(self, reply: Reply) -> str:
        if self.crash_before_send:
            self.crash_before_send = False
            raise Crash()
        if self.fail is not None:
            raise self.fail
        platform_id = f"r{len(self.sent) + 1}"
        self.sent.append((platform_id, reply))
        if self.crash_after_send:
            self.crash_after_send = False
            raise Crash()
        return platform_id

    def find_own_reply(self, reply: Reply) -> str | None:
        self.lookups.append(reply.draft_id)
        for platform_id, sent in self.sent:
            if sent.in_reply_to == reply.in_reply_to and sent.text == reply.text:
                return platform_id
        return None


def live_config(tmp_path: Path, **budget: int) -> Config:
    posting: dict[str, Any] = {"dry_run": False}
    if budget:
        posting["budget"] = {"twitter": budget}
    return reply_config(tmp_path, posting=posting)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def open_with(config: Config, n: int) -> Store:
    store = open_store(config)
    drafted_store(store, config, n)
    return store


def approve_all(store: Store, clock: FakeClock, edits: dict[int, str] | None = None) -> None:
    queue = ModerationQueue(store, moderator="ana", clock=clock)
    while (item := queue.next()) is not None:
        queue.approve(item, (edits or {}).get(item.draft_id))


def statuses(store: Store) -> dict[int, str]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(DRAFTS.c.id, DRAFTS.c.status)).all())  # type: ignore[arg-type]


def audit(store: Store) -> list[tuple[str, str, dict[str, Any]]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(AUDIT).order_by(AUDIT.c.id)).all()
    return [(r.actor, r.action, json.loads(r.detail)) for r in rows]


def poster(store: Store, config: Config, platform: Connector | None, clock: FakeClock) -> PostStage:
    return PostStage(store, config, connector_for=lambda _p, _w: platform, wall_clock=clock)


def test_only_approved_drafts_are_posted_with_the_exact_approved_text(
    tmp_path: Path, clock: FakeClock
) -> None:
    config = live_config(tmp_path)
    store = open_with(config, 3)
    queue = ModerationQueue(store, moderator="ana", clock=clock)
    first, second = queue.next(), queue.next()
    assert first and second
    queue.approve(first, "  Sorry! A person from our team will DM you today. ^PB ")
    queue.reject(second, "off tone")  # the third stays pending
    platform = FakePlatform()
    assert poster(store, config, platform, clock).run_batch() == 1
    [(platform_id, reply)] = platform.sent
    assert reply.text == "Sorry! A person from our team will DM you today. ^PB"
    assert reply.in_reply_to == "twitter0" and reply.draft_id == first.draft_id
    assert statuses(store) == {first.draft_id: "posted", second.draft_id: "rejected", 3: "pending"}
    posted = [a for a in audit(store) if a[1] == "draft.posted"]
    assert posted == [("poster", "draft.posted", {
        "post": "twitter:twitter0", "text": reply.text, "platform_reply_id": platform_id,
        "recovered": False})]
    assert poster(store, config, platform, clock).run_batch() == 0
    store.dispose()


def test_dry_run_marks_and_audits_but_sends_nothing(tmp_path: Path, clock: FakeClock) -> None:
    config = reply_config(tmp_path)
    assert config.posting.dry_run
    store = open_with(config, 2)
    approve_all(store, clock)
    platform = FakePlatform()
    assert poster(store, config, platform, clock).run_batch() == 2
    assert platform.sent == []
    assert set(statuses(store).values()) == {"dry-run"}
    assert [a[1] for a in audit(store)].count("draft.dry_run") == 2
    store.dispose()


def test_dry_run_needs_no_connector(tmp_path: Path, clock: FakeClock) -> None:
    config = reply_config(tmp_path)
    store = open_with(config, 1)
    approve_all(store, clock)
    assert poster(store, config, None, clock).run_batch() == 1
    assert statuses(store) == {1: "dry-run"}
    store.dispose()


def test_a_crash_after_sending_does_not_post_twice(tmp_path: Path, clock: FakeClock) -> None:
    config = live_config(tmp_path)
    store = open_with(config, 1)
    approve_all(store, clock)
    platform = FakePlatform(crash_after_send=True)
    with pytest.raises(Crash):
        poster(store, config, platform, clock).run_batch()
    assert statuses(store) == {1: "posting"} and len(platform.sent) == 1
    restarted = poster(store, config, platform, clock)
    assert restarted.run_batch() == 0  # a live poster may still be sending: wait for the lease
    clock.advance(minutes=3)
    assert restarted.run_batch() == 1
    assert platform.lookups == [1]
    assert len(platform.sent) == 1
    assert statuses(store) == {1: "posted"}
    assert [a[2]["recovered"] for a in audit(store) if a[1] == "draft.posted"] == [True]
    store.dispose()


def test_a_crash_before_sending_sends_once_after_checking(tmp_path: Path, clock: FakeClock) -> None:
    config = live_config(tmp_path)
    store = open_with(config, 1)
    approve_all(store, clock)
    platform = FakePlatform(crash_before_send=True)
    with pytest.raises(Crash):
        poster(store, config, platform, clock).run_batch()
    clock.advance(minutes=3)
    assert poster(store, config, platform, clock).run_batch() == 1
    assert platform.lookups == [1] and len(platform.sent) == 1
    assert statuses(store) == {1: "posted"}
    store.dispose()


def test_budgets_hold_back_the_rest_until_the_window_moves(
    tmp_path: Path, clock: FakeClock
) -> None:
    config = live_config(tmp_path, per_hour=2, per_day=3)
    store = open_with(config, 5)
    approve_all(store, clock)
    platform = FakePlatform()
    stage = poster(store, config, platform, clock)
    stage.run_batch()
    assert len(platform.sent) == 2
    clock.advance(minutes=61)
    stage.run_batch()
    assert len(platform.sent) == 3  # the day's budget
    clock.advance(hours=24)
    stage.run_batch()
    assert len(platform.sent) == 5
    assert set(statuses(store).values()) == {"posted"}
    store.dispose()


def test_a_refused_reply_fails_with_the_reason(tmp_path: Path, clock: FakeClock) -> None:
    config = live_config(tmp_path)
    store = open_with(config, 1)
    approve_all(store, clock)
    stage = poster(store, config, FakePlatform(fail=ConnectorError("thread is locked")), clock)
    stage.run_batch()
    assert statuses(store) == {1: "failed"}
    [failed] = [a for a in audit(store) if a[1] == "draft.post_failed"]
    assert "thread is locked" in failed[2]["error"]
    store.dispose()


def test_a_timeout_is_checked_on_the_platform_before_any_retry(
    tmp_path: Path, clock: FakeClock
) -> None:
    config = live_config(tmp_path)
    store = open_with(config, 1)
    approve_all(store, clock)
    flaky = FakePlatform(fail=TransientError("read timeout"))
    poster(store, config, flaky, clock).run_batch()
    assert statuses(store) == {1: "posting"}
    flaky.fail = None
    clock.advance(minutes=3)
    poster(store, config, flaky, clock).run_batch()
    assert flaky.lookups == [1] and len(flaky.sent) == 1
    assert statuses(store) == {1: "posted"}
    store.dispose()


def test_no_source_for_the_platform_fails_when_posting_for_real(
    tmp_path: Path, clock: FakeClock
) -> None:
    config = live_config(tmp_path)
    store = open_with(config, 1)
    approve_all(store, clock)
    poster(store, config, None, clock).run_batch()
    assert statuses(store) == {1: "failed"}
    store.dispose()


def test_a_draft_the_team_answered_by_hand_meanwhile_is_not_sent(
    tmp_path: Path, clock: FakeClock
) -> None:
    from tests.moderation.support import add_post

    config = live_config(tmp_path)
    store = open_with(config, 1)
    approve_all(store, clock)
    add_post(store, "b1", "@user0 so sorry, DM us!", author="parcelly", in_reply_to="twitter0",
             sentiment=None)
    platform = FakePlatform()
    poster(store, config, platform, clock).run_batch()
    assert platform.sent == []
    assert statuses(store) == {1: "failed"}
    [failed] = [a for a in audit(store) if a[1] == "draft.post_failed"]
    assert "already replied" in failed[2]["error"]
    store.dispose()


def test_budget_and_crash_recovery_on_each_database(
    any_store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = live_config(tmp_path, per_hour=1)
    drafted_store(any_store, config, 2)
    approve_all(any_store, clock)
    platform = FakePlatform(crash_after_send=True)
    with pytest.raises(Crash):
        poster(any_store, config, platform, clock).run_batch()
    clock.advance(minutes=3)
    stage = poster(any_store, config, platform, clock)
    stage.run_batch()  # finds the first reply; the hour's budget of 1 holds the second back
    assert len(platform.sent) == 1
    assert sorted(statuses(any_store).values()) == ["approved", "posted"]
    clock.advance(minutes=60)
    stage.run_batch()
    assert len(platform.sent) == 2 and set(statuses(any_store).values()) == {"posted"}


def test_reply_connectors_come_from_the_sources_of_that_platform(tmp_path: Path) -> None:
    from socialbot.config import SourceConfig
    from socialbot.stages.post import SourceConnectors

    config = reply_config(tmp_path, source=[
        {"name": "replay", "kind": "replay", "watch": "parcelly", "path": "x.jsonl"},
        {"name": "x-other", "kind": "twitter", "query": "boxwise"},
        {"name": "x-parcelly", "kind": "twitter", "watch": "parcelly", "query": "parcelly"},
    ])
    built: list[str] = []

    def build(source: SourceConfig) -> Connector:
        built.append(source.name)
        return FakePlatform()

    connectors = SourceConnectors(list(config.source), build)
    first = connectors("twitter", "parcelly")
    assert connectors("twitter", "parcelly") is first  # built once
    assert connectors("twitter", "elsewhere") is not None  # any twitter source will do
    assert connectors("reddit", "parcelly") is None
    assert built == ["x-parcelly", "x-other"]
    connectors.close()
