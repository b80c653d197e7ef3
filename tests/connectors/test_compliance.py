"""The X compliance check, through tweepy against a locally served fake X: posts X no longer
shows are deleted, and the lookups are billed reads within the read budget."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.twitter import TwitterConnector
from socialbot.clock import StreamClock
from socialbot.metering.sources import connector_spending
from socialbot.privacy.tables import ERASURE_LOG
from socialbot.stages.ingest import IngestStage
from socialbot.stages.privacy import ComplianceStage
from socialbot.store import Store
from socialbot.store.ingest import POSTS
from socialbot.store.usage import reads_since
from tests.conftest import make_config
from tests.connectors.conftest import FakeClock, LocalServer
from tests.connectors.fake_x import ENV, FakeX, XWorld

START = datetime(2026, 12, 10, 12, tzinfo=UTC)


@dataclass
class World(XWorld):
    ingest: IngestStage
    check: ComplianceStage

    def drain(self, stage: Any) -> int:
        handled = 0
        while got := stage.run_batch():
            handled += got
        return handled

    def stored(self) -> set[str]:
        with self.store.reading() as conn:
            return set(conn.execute(select(POSTS.c.post_id)).scalars())

    def reads_today(self) -> int:
        with self.store.reading() as conn:
            return reads_since(conn, "x-acme", self.wall.now().date())


def _world(tmp_path: Path, server: LocalServer, clock: FakeClock, store: Store,
           budget: int | None) -> World:
    clock.now = START.timestamp()
    source: dict[str, Any] = {"name": "x-acme", "kind": "twitter", "watch": "acme",
                              "query": "acme"}
    if budget is not None:
        source["monthly_read_budget"] = budget
    config = make_config(tmp_path, watch=[{"name": "acme"}], source=[source])
    x = FakeX(clock.now)
    server.app = x
    wall = StreamClock(START)

    def connector() -> TwitterConnector:
        return TwitterConnector("x-acme", config.source[0].options, env=ENV,
                                base_url=server.url, sleep=clock.sleep, clock=clock.time)

    reading = connector()
    ingest = IngestStage(store, reading, watch="acme", page_size=100, wall_clock=wall,
                         spending=connector_spending(reading, config.source[0], config))
    check = ComplianceStage(store, connector(), settings=config.privacy, read_budget=budget,
                            clock=wall)
    return World(config, store, x, clock, wall, ingest, check)


@pytest.fixture
def world(tmp_path: Path, server: LocalServer, clock: FakeClock,
          any_store: Store) -> Iterator[World]:
    w = _world(tmp_path, server, clock, any_store, budget=None)
    yield w
    w.ingest.close()
    w.check.close()


def test_the_check_removes_exactly_the_posts_x_reports_gone_and_counts_the_reads(
        world: World) -> None:
    ids = [world.x.add(f"acme parcel {i} late", author=f"user{i % 7}") for i in range(150)]
    assert world.drain(world.ingest) == 150
    gone = {ids[3]: "deleted", ids[77]: "protected", ids[120]: "suspended"}
    world.x.unavailable.update(gone)
    world.x.tweets.pop(int(ids[140]))  # deleted: X no longer knows it at all
    world.advance(timedelta(days=1))  # a new billing day: yesterday's reads do not cover these

    assert world.drain(world.check) == 150

    assert world.stored() == set(ids) - set(gone) - {ids[140]}
    assert [len(batch) for batch in world.x.looked_up] == [100, 50]  # batches of 100
    assert world.reads_today() == 146  # what X returned, and so billed
    with world.store.reading() as conn:
        log = conn.execute(select(ERASURE_LOG.c.reason, ERASURE_LOG.c.platform,
                                  func.sum(ERASURE_LOG.c.posts))
                           .group_by(ERASURE_LOG.c.reason, ERASURE_LOG.c.platform)).one()
    assert tuple(log) == ("compliance", "twitter", 4)
    # the next pass is due a day later, not before
    world.advance(timedelta(hours=23))
    assert world.drain(world.check) == 0 and len(world.x.looked_up) == 2
    world.advance(timedelta(hours=2))
    assert world.drain(world.check) == 146 and len(world.x.looked_up) == 4


def test_a_check_the_read_budget_cannot_pay_for_is_skipped_with_a_log_line(
        tmp_path: Path, server: LocalServer, clock: FakeClock, store: Store,
        caplog: pytest.LogCaptureFixture) -> None:
    w = _world(tmp_path, server, clock, store, budget=200)
    try:
        ids = [w.x.add(f"acme {i}") for i in range(120)]
        assert w.drain(w.ingest) == 120  # 120 of the month's 200 reads spent
        w.x.unavailable[ids[0]] = "deleted"
        w.advance(timedelta(days=1))
        with caplog.at_level(logging.WARNING, logger="socialbot.stages.privacy"):
            assert w.drain(w.check) == 0
        assert w.x.looked_up == [] and len(w.stored()) == 120
        assert "120 lookups would exceed the monthly read budget of source x-acme " \
               "(80 reads left)" in caplog.text
    finally:
        w.ingest.close()
        w.check.close()


def test_posts_replayed_from_a_file_are_not_looked_up(world: World) -> None:
    from socialbot.domain import Page, Post
    from socialbot.store.ingest import write_page

    with world.store.transaction() as conn:
        write_page(conn, Page([Post("twitter", "42", "from an archive", START)]),
                   source="archive", kind="replay", watch="acme", now=START)
    assert world.drain(world.check) == 0
    assert world.x.looked_up == [] and world.stored() == {"42"}


def test_an_x_outage_leaves_every_post_and_retries_later(world: World) -> None:
    from tests.connectors.fake_x import REVOKED

    ids = [world.x.add("acme") for _ in range(5)]
    world.drain(world.ingest)
    world.x.outage = REVOKED
    assert world.drain(world.check) == 0
    assert world.stored() == set(ids)
    world.x.outage = None
    world.advance(timedelta(minutes=16))
    assert world.drain(world.check) == 5


def test_reddit_posts_deleted_or_removed_are_removed_too(
        tmp_path: Path, server: LocalServer, clock: FakeClock, store: Store,
        prawcore_sleeps: Any) -> None:
    from connectors.reddit import RedditConnector
    from tests.connectors.fake_reddit import ENV as REDDIT_ENV
    from tests.connectors.fake_reddit import FakeReddit

    clock.now = START.timestamp()
    rd = FakeReddit(clock.now)
    server.app = rd
    source = {"name": "rd-acme", "kind": "reddit", "watch": "acme", "subreddits": ["acme"],
              "include_comments": True}
    config = make_config(tmp_path, watch=[{"name": "acme"}], source=[source])

    def connector() -> RedditConnector:
        return RedditConnector("rd-acme", config.source[0].options, env=REDDIT_ENV,
                               base_url=server.url, sleep=clock.sleep, clock=clock.time)

    wall = StreamClock(START)
    reading = connector()
    ingest = IngestStage(store, reading, watch="acme", page_size=100, wall_clock=wall,
                         spending=connector_spending(reading, config.source[0], config))
    check = ComplianceStage(store, connector(), settings=config.privacy, clock=wall)
    try:
        subs = [rd.submission(f"acme {i}", selftext="it broke", author=f"u{i}")
                for i in range(3)]
        comments = [rd.comment(subs[0], f"me too {i}") for i in range(3)]
        while ingest.run_batch():
            pass
        with store.reading() as conn:
            assert conn.execute(select(func.count()).select_from(POSTS)).scalar_one() == 6
        rd.items[subs[1]]["data"].update(selftext="[removed]")  # a moderator removed it
        rd.items[comments[0]]["data"].update(author="[deleted]", body="[deleted]")
        del rd.items[comments[2]]  # gone without a trace
        while check.run_batch():
            pass
        with store.reading() as conn:
            kept = set(conn.execute(select(POSTS.c.post_id)).scalars())
        assert kept == {subs[0], subs[2], comments[1]}
        assert [sorted(ids) for ids in rd.looked_up] == [sorted(subs + comments)]
    finally:
        ingest.close()
        check.close()
