"""`source_silent`: empty pages past the learned quiet period raise it; new posts resolve it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.twitter import TwitterConnector
from socialbot.config import AlertsConfig, HealthConfig
from socialbot.health.alerts import AlertSink, SourceRef
from socialbot.health.arrivals import learn_rate
from socialbot.health.polls import PollWatchdog
from socialbot.health.silence import judge_silence
from socialbot.stages.health import HealthStage
from socialbot.stages.ingest import IngestStage
from socialbot.watching.views import alert_json, headline
from tests.connectors.fake_x import ENV as X_ENV
from tests.connectors.fake_x import FakeX
from tests.health.support import SimTime, deliveries, health, source_alerts

SETTINGS = HealthConfig(silent_sensitivity=1e-3, min_silence=3600, min_history=2 * 86400)


def _drain(stage: IngestStage) -> int:
    total = 0
    while (n := stage.run_batch()) > 0:
        total += n
    return total


@pytest.fixture
def setup(any_store, server, clock):
    store = any_store
    x = FakeX(clock.now)
    server.app = x
    sim = SimTime(clock, x)
    sink = AlertSink(["hook"], AlertsConfig())
    source = TwitterConnector("x-acme", {"query": "acme"}, env=dict(X_ENV), base_url=server.url,
                              sleep=clock.sleep, clock=clock.time)
    ingest = IngestStage(store, source, watch="acme", page_size=100, wall_clock=sim.clock,
                         watchdog=PollWatchdog(SETTINGS, sink=sink))
    watch = HealthStage(store, [SourceRef("x-acme", "twitter", "acme")], settings=SETTINGS,
                        sinks={"x-acme": sink}, clock=sim.clock)
    return x, sim, ingest, watch


def test_empty_pages_raise_source_silent_after_the_learned_quiet_period(any_store,
                                                                        setup) -> None:
    store = any_store  # SQLite and PostgreSQL
    x, sim, ingest, watch = setup
    for i in range(3 * 24 * 6):  # three days of history: one post every ten minutes
        x.add(age=60.0 + i * 600)
    assert _drain(ingest) == 432
    assert watch.run_batch() == 0

    # At 6 posts an hour, no post at all for 69 minutes has a chance of e^-6.9 = 1e-3.
    raised_after = None
    for minute in range(5, 121, 5):
        sim.tick(minutes=5)
        assert _drain(ingest) == 0  # X answers, with nothing new
        if watch.run_batch():
            raised_after = minute
            break
    assert raised_after == 70
    [alert] = source_alerts(store, "source_silent")
    assert alert.status == "open" and alert.baseline == pytest.approx(7.0, abs=0.3)
    shown = headline(alert_json(alert))
    assert shown.startswith("[ALERT] source x-acme (twitter) silent: no new post for 1h 10m")
    assert health(store).empty_polls == 15  # every 5 minutes, and the one that ended the backfill

    for _ in range(6):  # still silent: the alert is not raised again
        sim.tick(minutes=5)
        _drain(ingest)
        assert watch.run_batch() == 0

    x.add()  # posts flow again
    sim.tick(minutes=5)
    assert _drain(ingest) == 1
    [alert] = source_alerts(store, "source_silent")
    assert alert.status == "resolved"
    assert [event for _, event, _ in deliveries(store)] == ["opened", "resolved"]
    assert watch.run_batch() == 0


def test_a_quiet_night_is_not_a_silence_but_a_dead_afternoon_is(store) -> None:
    from sqlalchemy import insert

    from socialbot.store.ingest import POSTS

    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows = []
    for day in range(7):  # nothing between 00:00 and 06:00 UTC, 4 posts an hour otherwise
        for hour in range(6, 24):
            for k in range(4):
                at = start + timedelta(days=day, hours=hour, minutes=15 * k)
                rows.append({"platform": "twitter", "post_id": f"{day}-{hour}-{k}",
                             "source": "x-acme", "text": "acme", "created_at": at,
                             "ingested_at": at})
    with store.transaction() as conn:
        conn.execute(insert(POSTS), rows)
    with store.reading() as conn:
        rate = learn_rate(conn, "x-acme", until=start + timedelta(days=7), days=14)
    assert rate is not None
    assert rate.per_hour[3] == 0 and rate.per_hour[12] == pytest.approx(4.0)

    class Row:  # a source_health row whose polls are answered, empty
        failures, empty_polls = 0, 30

        def __init__(self, answered: datetime) -> None:
            self.last_answer_at = answered

    night_start = start + timedelta(days=7)  # midnight: the last post came at 23:45
    at_five = night_start + timedelta(hours=5)
    assert judge_silence(Row(at_five), rate, since=night_start - timedelta(minutes=15),
                         now=at_five, settings=SETTINGS) is None
    afternoon = start + timedelta(days=7, hours=14)
    later = afternoon + timedelta(hours=2)
    silence = judge_silence(Row(later), rate, since=afternoon, now=later, settings=SETTINGS)
    assert silence is not None and silence.expected == pytest.approx(8.0)


def test_a_failing_source_is_not_also_called_silent(store) -> None:
    from socialbot.health.arrivals import ArrivalRate

    class Failing:
        failures, empty_polls = 3, 0
        last_answer_at = datetime(2026, 11, 1, 12, tzinfo=UTC)

    rate = ArrivalRate((10.0,) * 24, timedelta(days=7))
    since = datetime(2026, 11, 1, 10, tzinfo=UTC)
    now = since + timedelta(hours=6)
    assert judge_silence(Failing(), rate, since=since, now=now, settings=SETTINGS) is None
    Failing.failures = 0
    assert judge_silence(Failing(), rate, since=since, now=now, settings=SETTINGS) is not None


def test_a_source_stopped_by_its_read_budget_is_not_also_silent(any_store, setup) -> None:
    from socialbot.metering.budget import month_start
    from socialbot.store.usage import claim_budget_stop

    store = any_store
    x, sim, ingest, watch = setup
    for i in range(3 * 24 * 6):
        x.add(age=60.0 + i * 600)
    _drain(ingest)
    with store.transaction() as conn:  # the budget ran out: that stop has its own alert
        assert claim_budget_stop(conn, source="x-acme", month=month_start(sim.clock.now()),
                                 now=sim.clock.now(), reads=432, budget=432)
    for _ in range(24):  # two hours of empty pages, far past the learned quiet period
        sim.tick(minutes=5)
        _drain(ingest)
        assert watch.run_batch() == 0
    assert source_alerts(store, "source_silent") == []
