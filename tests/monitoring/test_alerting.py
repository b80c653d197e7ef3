"""The alerts stage on a real store: judged by the clock, recorded once, queued for delivery."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import insert, select

from socialbot.clock import StreamClock
from socialbot.config import AlertRuleConfig, AlertsConfig
from socialbot.stages.alerts import AlertsStage
from socialbot.stages.trends import TrendsStage
from socialbot.store import Store
from socialbot.store.ingest import POSTS
from socialbot.watching.alerting import RuleJudge
from socialbot.watching.tables import ALERT_RULE_STATE, OUTBOX
from socialbot.watching.views import list_alerts
from tests.monitoring.conftest import add_posts

T0 = datetime(2026, 11, 2, tzinfo=timezone.utc)
SPIKE_AT = T0 + timedelta(days=8, hours=14)


def _fill(store: Store, *, spike: int = 0) -> None:
    """Eight quiet days (3 negative + 5 positive billing posts an hour) and a spike on day nine."""
    rng = np.random.default_rng(1)
    posts: list[tuple[datetime, str, str]] = []
    for hour in range(8 * 24 + 20):
        at = T0 + timedelta(hours=hour)
        extra = spike if at == SPIKE_AT else 0
        for _ in range(int(rng.poisson(3)) + extra):
            text = "charged twice again" if extra else "meh"
            posts.append((at + timedelta(minutes=int(rng.integers(60))), "negative", text))
        for _ in range(int(rng.poisson(5))):
            posts.append(
                (at + timedelta(minutes=int(rng.integers(60))), "positive", "great prices")
            )
    with store.transaction() as conn:
        add_posts(conn, posts, topic="billing")


def _stage(
    store: Store,
    clock: StreamClock,
    *rules: AlertRuleConfig,
    settings: AlertsConfig | None = None,
) -> AlertsStage:
    judges = [
        RuleJudge(
            "acme", r, bucket=900, settings=settings or AlertsConfig(), channels=["ops", "mail"]
        )
        for r in rules
    ]
    return AlertsStage(store, judges, clock=clock)


def _drain(stage: AlertsStage | TrendsStage) -> int:
    total = 0
    while n := stage.run_batch():
        total += n
    return total


def test_a_spike_opens_one_alert_queued_once_per_channel(any_store: Store) -> None:
    _fill(any_store, spike=25)
    _drain(TrendsStage(any_store, bucket=900))
    clock = StreamClock(T0)
    stage = _stage(any_store, clock, AlertRuleConfig(kind="negative_spike", topic="billing"))
    for hour in range(8 * 24 + 20):  # time passes as replay would move it
        clock.advance(T0 + timedelta(hours=hour + 1))
        _drain(stage)
    alerts = list_alerts_of(any_store)
    assert len(alerts) == 1
    (alert,) = alerts
    assert alert["topic"] == "billing" and alert["status"] == "resolved"
    assert datetime.fromisoformat(alert["opened_at"]) <= SPIKE_AT + timedelta(hours=1, minutes=15)
    assert alert["phrases"][0]["phrase"] in ("charged twice", "twice again", "charged", "twice")
    with any_store.reading() as conn:
        rows = conn.execute(
            select(OUTBOX.c.channel, OUTBOX.c.event, OUTBOX.c.revision).order_by(OUTBOX.c.id)
        ).all()
        state = conn.execute(select(ALERT_RULE_STATE)).one()
    assert sorted(rows) == sorted(
        [
            ("ops", "opened", 1),
            ("mail", "opened", 1),
            ("ops", "resolved", 2),
            ("mail", "resolved", 2),
        ]
    )
    assert state.open_alert_id is None
    assert _drain(stage) == 0  # judged up to the clock: running again changes nothing


def test_quiet_days_raise_nothing_and_dry_run_queues_nothing(any_store: Store) -> None:
    _fill(any_store)
    _drain(TrendsStage(any_store, bucket=900))
    clock = StreamClock(T0 + timedelta(days=9))
    stage = _stage(
        any_store,
        clock,
        AlertRuleConfig(kind="negative_spike", topic="billing"),
        AlertRuleConfig(kind="volume_spike"),
        settings=AlertsConfig(dry_run=True),
    )
    assert _drain(stage) > 0
    assert list_alerts_of(any_store) == []


def test_a_threshold_rule_fires_on_a_high_negative_share(store: Store) -> None:
    _fill(store, spike=25)
    _drain(TrendsStage(store, bucket=900))
    clock = StreamClock(T0 + timedelta(days=9))
    rule = AlertRuleConfig(kind="threshold", topic="billing", above=0.75, window=3600, min_posts=20)
    _drain(_stage(store, clock, rule))
    (alert,) = list_alerts_of(store)
    assert alert["kind"] == "threshold" and alert["share"] > 0.7
    assert "share > 75%" in alert["baseline_method"]
    with store.reading() as conn:
        assert len(conn.execute(select(OUTBOX)).all()) == 4
        assert json.loads(conn.execute(select(OUTBOX.c.payload)).first()[0])["rule"] == (
            "threshold:billing"
        )


def list_alerts_of(store: Store) -> list[dict]:  # type: ignore[type-arg]
    with store.reading() as conn:
        return list_alerts(conn)


def test_buckets_wait_for_their_posts_to_be_classified(store: Store) -> None:
    _fill(store)
    _drain(TrendsStage(store, bucket=900))
    late = T0 + timedelta(days=8, hours=3, minutes=20)
    with store.transaction() as conn:  # ingested, not yet classified
        conn.execute(
            insert(POSTS).values(
                platform="twitter",
                post_id="late",
                source="t",
                watch="acme",
                text="late",
                created_at=late,
                ingested_at=late,
            )
        )
    clock = StreamClock(late + timedelta(minutes=30))
    stage = _stage(store, clock, AlertRuleConfig(kind="volume_spike"))
    _drain(stage)
    with store.reading() as conn:
        assert conn.execute(
            select(ALERT_RULE_STATE.c.evaluated_until)
        ).scalar_one() == late.replace(minute=15)
    clock.advance(late + timedelta(hours=1, minutes=5))  # classify is down: stop waiting
    _drain(stage)
    with store.reading() as conn:
        until = conn.execute(select(ALERT_RULE_STATE.c.evaluated_until)).scalar_one()
    assert until == late.replace(minute=0) + timedelta(hours=1, minutes=15)


def test_the_brands_own_posts_are_not_quoted_as_the_reason(store: Store) -> None:
    _fill(store, spike=25)
    apologies = [
        (SPIKE_AT + timedelta(minutes=5 * i), "negative", "so sorry, we are on it")
        for i in range(10)
    ]
    with store.transaction() as conn:
        add_posts(conn, apologies, topic="billing", author="AcmeHelp")
    _drain(TrendsStage(store, bucket=900))
    judge = RuleJudge(
        "acme",
        AlertRuleConfig(kind="negative_spike", topic="billing"),
        bucket=900,
        settings=AlertsConfig(),
        channels=[],
        brand_accounts=["@acmehelp"],
    )
    _drain(AlertsStage(store, [judge], clock=StreamClock(T0 + timedelta(days=9))))
    (alert,) = list_alerts_of(store)
    assert alert["posts"] and all(p["author"] != "AcmeHelp" for p in alert["posts"])
    assert not {"sorry", "so sorry"} & {p["phrase"] for p in alert["phrases"]}
