"""`source_failing`: raised once, a slow probe meanwhile, resolved by the first good poll."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.twitter import TwitterConnector
from socialbot.config import AlertsConfig, HealthConfig
from socialbot.health.alerts import AlertSink
from socialbot.health.polls import PollWatchdog
from socialbot.stages.deliver import DeliverStage
from socialbot.stages.ingest import IngestStage
from socialbot.watching.channels.webhook import WebhookChannel
from tests.connectors.conftest import Response
from tests.connectors.fake_x import ENV as X_ENV
from tests.connectors.fake_x import REVOKED, FakeX
from tests.health.support import SimTime, deliveries, health, source_alerts, source_state
from tests.monitoring.receivers import webhook_receiver

HEALTH = HealthConfig(failing_after=3, probe_interval=1800)
HEALTH_BACKOFF_CAP = timedelta(minutes=15)


@pytest.fixture
def x(server, clock) -> FakeX:
    api = FakeX(clock.now)
    server.app = api
    return api


@pytest.fixture
def sim(clock, x) -> SimTime:
    return SimTime(clock, x)


def _stage(store, server, clock, sim) -> IngestStage:
    source = TwitterConnector("x-acme", {"query": "acme", "retries": 0}, env=dict(X_ENV),
                              base_url=server.url, sleep=clock.sleep, clock=clock.time)
    watchdog = PollWatchdog(HEALTH, sink=AlertSink(["hook"], AlertsConfig()))
    return IngestStage(store, source, watch="acme", page_size=100, wall_clock=sim.clock,
                       watchdog=watchdog)


def test_a_revoked_token_raises_source_failing_once_and_recovers(any_store, server, clock, x,
                                                                  sim) -> None:
    store = any_store  # SQLite and PostgreSQL
    stage = _stage(store, server, clock, sim)
    x.add()
    assert stage.run_batch() == 1

    x.outage = REVOKED  # the token is revoked mid-run
    sim.tick(minutes=1)
    assert stage.run_batch() == 0
    state = source_state(store)
    assert state.state == "stopped" and "TWITTER_BEARER_TOKEN" in state.detail
    [alert] = source_alerts(store, "source_failing")
    assert alert.status == "open"

    # the circuit is open: polls inside the probe interval send nothing
    sent = len(x.requests)
    for _ in range(20):
        sim.tick(seconds=30)
        assert stage.run_batch() == 0
    assert len(x.requests) == sent

    sim.tick(minutes=30)  # the slow probe goes out, and is refused again: no second alert
    assert stage.run_batch() == 0
    assert len(x.requests) == sent + 1
    assert len(source_alerts(store, "source_failing")) == 1
    assert health(store).failures == 2

    x.outage = None  # a new token is in place
    x.add()
    sim.tick(minutes=31)
    assert stage.run_batch() == 1
    [alert] = source_alerts(store, "source_failing")
    assert alert.status == "resolved"
    assert (source_state(store).state, source_state(store).detail) == ("exhausted", None)
    assert [(event, ch) for _, event, ch in deliveries(store)] == [
        ("opened", "hook"), ("resolved", "hook")]

    with webhook_receiver() as hook:
        DeliverStage(store, [WebhookChannel("hook", hook.url)], settings=AlertsConfig(),
                     clock=sim.clock).run_batch()
    texts = [body["alert"] for _, body in hook.accepted]
    assert [a["status"] for a in texts] == ["open", "resolved"]
    assert texts[0]["line"].startswith("X rejected the bearer token (401)")
    assert texts[1]["resolution"].startswith("the platform answers again")


def test_transient_failures_alert_only_after_n_in_a_row_then_probe_slowly(
        store, server, clock, x, sim) -> None:
    stage = _stage(store, server, clock, sim)
    x.outage = Response(503, {"title": "Service Unavailable"})
    for _ in range(2):
        assert stage.run_batch() == 0
        retry_at = source_state(store).retry_at
        assert retry_at - sim.now() <= HEALTH_BACKOFF_CAP  # short back-off, no alert yet
        assert source_alerts(store, "source_failing") == []
        sim.tick(minutes=15)
    assert stage.run_batch() == 0  # the third failure in a row
    [alert] = source_alerts(store, "source_failing")
    assert "503" in alert.detail
    waited = source_state(store).retry_at - sim.now()
    assert waited.total_seconds() >= 0.9 * HEALTH.probe_interval  # the circuit is open
    sim.tick(minutes=31)
    assert stage.run_batch() == 0
    assert len(source_alerts(store, "source_failing")) == 1

    x.outage = None
    sim.tick(minutes=31)
    stage.run_batch()
    assert source_alerts(store, "source_failing")[0].status == "resolved"
    assert health(store).failures == 0



def test_a_subreddit_gone_private_alerts_at_once_and_resolves(store, server, clock,
                                                              prawcore_sleeps) -> None:
    from connectors.reddit import RedditConnector
    from tests.connectors.fake_reddit import ENV as REDDIT_ENV
    from tests.connectors.fake_reddit import FakeReddit

    rd = FakeReddit(clock.now)
    server.app = rd
    sim = SimTime(clock, rd)
    source = RedditConnector("rd-acme", {"subreddits": ["acme"], "include_comments": False},
                             env=dict(REDDIT_ENV), base_url=server.url, sleep=clock.sleep,
                             clock=clock.time)
    stage = IngestStage(store, source, watch="acme", page_size=100, wall_clock=sim.clock,
                        watchdog=PollWatchdog(HEALTH, sink=AlertSink(["hook"], AlertsConfig())))
    rd.submission("acme news")
    assert stage.run_batch() == 1

    rd.outage = Response(403, {"message": "Forbidden", "error": 403, "reason": "private"})
    sim.tick(minutes=1)
    assert stage.run_batch() == 0
    [alert] = source_alerts(store, "source_failing")
    assert "private" in source_state(store).detail and alert.status == "open"

    rd.outage = None
    rd.submission("acme is back")
    sim.tick(minutes=31)
    assert stage.run_batch() == 1
    assert source_alerts(store, "source_failing")[0].status == "resolved"
