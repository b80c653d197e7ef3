"""A source stopped because its credentials were missing starts again once they are set."""

from __future__ import annotations

from sqlalchemy import select

from connectors.twitter import TwitterConnector
from socialbot.stages.ingest import IngestStage
from socialbot.status import gather_status
from socialbot.store.ingest import SOURCES
from tests.connectors.fake_x import ENV as X_ENV
from tests.connectors.fake_x import FakeX


def _source_row(store):
    with store.reading() as conn:
        return conn.execute(select(SOURCES.c.state, SOURCES.c.detail)).one()


def _status_text(store) -> str:
    return repr(gather_status(store)["sources"])


def test_setting_the_missing_token_lets_the_next_poll_succeed(store, server, clock) -> None:
    x = FakeX(clock.now)
    server.app = x
    ids = {x.add() for _ in range(3)}
    env: dict[str, str] = {}  # the user forgot TWITTER_BEARER_TOKEN
    source = TwitterConnector("x-acme", {"query": "acme"}, env=env, base_url=server.url,
                              sleep=clock.sleep, clock=clock.time)
    stage = IngestStage(store, source, watch=None, page_size=100)
    assert stage.run_batch() == 0
    row = _source_row(store)
    assert row.state == "stopped" and "TWITTER_BEARER_TOKEN" in row.detail
    assert "is not set" in _status_text(store)
    assert x.requests == []  # nothing was sent without a token

    env.update(X_ENV)  # `socialbot doctor` now shows it present
    assert stage.run_batch() == 3
    row = _source_row(store)
    assert (row.state, row.detail) == ("exhausted", None)
    assert "is not set" not in _status_text(store)
    assert {p for p in x.served_ids} == ids


def test_a_restarted_daemon_picks_up_a_token_set_while_it_was_down(store, server, clock) -> None:
    x = FakeX(clock.now)
    server.app = x
    x.add()
    first = TwitterConnector("x-acme", {"query": "acme"}, env={}, base_url=server.url,
                             sleep=clock.sleep, clock=clock.time)
    IngestStage(store, first, watch=None, page_size=100).run_batch()
    assert _source_row(store).state == "stopped"

    again = TwitterConnector("x-acme", {"query": "acme"}, env=dict(X_ENV), base_url=server.url,
                             sleep=clock.sleep, clock=clock.time)
    assert IngestStage(store, again, watch=None, page_size=100).run_batch() == 1
    assert _source_row(store).state == "exhausted"
