"""The SDK connectors under the core's real ingest stage and store: cursor and posts together."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connectors.reddit import RedditConnector
from connectors.twitter import TwitterConnector
from socialbot.stages.ingest import IngestStage
from socialbot.store.ingest import POSTS, SOURCES
from tests.connectors.conftest import Response
from tests.connectors.fake_reddit import ENV as REDDIT_ENV
from tests.connectors.fake_reddit import FakeReddit
from tests.connectors.fake_x import ENV as X_ENV
from tests.connectors.fake_x import FakeX


def _drain(stage: IngestStage) -> None:
    for _ in range(200):
        if stage.run_batch() == 0:
            return
    raise AssertionError("the stage never drained")


def _stored(store) -> set[str]:
    with store.transaction() as conn:
        return set(conn.execute(select(POSTS.c.post_id)).scalars())


def test_x_source_through_the_stage_survives_a_rate_limit(store, server, clock) -> None:
    x = FakeX(clock.now)
    server.app = x
    ids = [x.add() for _ in range(230)]
    source = TwitterConnector("x-acme", {"query": "acme"}, env=X_ENV, base_url=server.url,
                              sleep=clock.sleep, clock=clock.time)
    stage = IngestStage(store, source, watch=None, page_size=100)
    assert stage.run_batch() == 100
    x.faults.append(Response(429, {"title": "Too Many Requests"},
                             {"x-rate-limit-reset": str(int(clock.now) + 900)}))
    assert stage.run_batch() == 0
    with store.transaction() as conn:
        row = conn.execute(select(SOURCES.c.state, SOURCES.c.retry_at)).one()
    assert row.state == "backing_off"
    with store.transaction() as conn:  # the reset has passed
        conn.execute(SOURCES.update().values(retry_at=None))
    _drain(stage)
    assert _stored(store) == set(ids)
    with store.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(POSTS)).scalar_one() == 230


def test_reddit_source_through_the_stage(store, server, clock, prawcore_sleeps) -> None:
    rd = FakeReddit(clock.now)
    server.app = rd
    made = [rd.submission("acme news")]
    made += [rd.comment(made[0]) for _ in range(30)]
    made.append(rd.submission("acme elsewhere", sub="gadgets"))  # found by search only
    source = RedditConnector("rd-acme", {"subreddits": ["acme"], "keywords": ["acme"]},
                             env=REDDIT_ENV, base_url=server.url, sleep=clock.sleep,
                             clock=clock.time)
    stage = IngestStage(store, source, watch=None, page_size=100)
    _drain(stage)
    assert _stored(store) == set(made)
    later = [rd.comment(made[0]) for _ in range(5)]
    _drain(stage)
    assert _stored(store) == set(made + later)


@pytest.mark.parametrize("status", [401, 403])
def test_credential_problems_stop_only_this_source(store, server, clock, status) -> None:
    x = FakeX(clock.now)
    server.app = x
    x.faults.append(Response(status, {"title": "Unauthorized", "detail": "Unauthorized"}))
    source = TwitterConnector("x-acme", {"query": "acme"}, env=X_ENV, base_url=server.url,
                              sleep=clock.sleep, clock=clock.time)
    IngestStage(store, source, watch=None, page_size=100).run_batch()
    with store.transaction() as conn:
        row = conn.execute(select(SOURCES.c.state, SOURCES.c.detail)).one()
    assert row.state == "stopped" and X_ENV["TWITTER_BEARER_TOKEN"] not in row.detail
