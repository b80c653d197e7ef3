"""One incident, one alert: rules firing on the same posts share an alert; separate posts do not."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from socialbot.cli import app
from socialbot.clock import StreamClock
from socialbot.config import AlertRuleConfig, AlertsConfig
from socialbot.stages.alerts import AlertsStage
from socialbot.stages.trends import TrendsStage
from socialbot.store import Store
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
from socialbot.watching.alerting import RuleJudge
from socialbot.watching.channels.webhook import WebhookChannel, slack_body
from socialbot.watching.outbox import claim
from socialbot.watching.overlap import MERGE_OVERLAP, overlap, same_incident
from socialbot.watching.tables import ALERT_RULE_STATE, ALERTS, OUTBOX
from socialbot.watching.views import list_alerts, text_summary

T0 = datetime(2026, 11, 2, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
SPIKE_AT = T0 + timedelta(days=8, hours=14)
END = T0 + timedelta(days=8, hours=23)
RULES = (
    AlertRuleConfig(kind="negative_spike", topic="luggage"),
    AlertRuleConfig(kind="negative_spike", topic="booking"),
)
Post = tuple[datetime, str, tuple[str, ...], str]


def _quiet_days() -> list[Post]:
    """Eight days and a bit of ordinary posts: per hour and topic ~3 negative, ~5 positive,
    and now and then a complaint about both (a lost bag on a changed booking)."""
    rng = np.random.default_rng(7)
    posts: list[Post] = []
    for hour in range(int((END - T0) / timedelta(hours=1))):
        at = T0 + timedelta(hours=hour)
        for topic in ("luggage", "booking"):
            for sentiment, rate in (("negative", 3), ("positive", 5)):
                for _ in range(int(rng.poisson(rate))):
                    minute = timedelta(minutes=int(rng.integers(60)))
                    posts.append((at + minute, sentiment, (topic,), f"usual {topic} talk"))
        for _ in range(int(rng.poisson(0.3))):
            minute = timedelta(minutes=int(rng.integers(60)))
            posts.append((at + minute, "negative", ("booking", "luggage"), "bag and booking"))
    return posts


def _surge(
    n: int, topics: tuple[str, ...], text: str, at: datetime = SPIKE_AT, *, minutes: int = 60
) -> list[Post]:
    """`n` complaints spread over the `minutes` from `at`."""
    return [(at + timedelta(minutes=minutes * i / n), "negative", topics, text) for i in range(n)]


def _store_posts(store: Store, posts: list[Post]) -> None:
    now = datetime.now(timezone.utc)
    with store.transaction() as conn:
        pks = [
            r[0]
            for r in conn.execute(
                insert(POSTS).returning(POSTS.c.id, sort_by_parameter_order=True),
                [
                    {
                        "platform": "twitter", "post_id": str(i), "source": "test",
                        "watch": "acme", "author": f"user{i}", "text": f"{text} {i}",
                        "created_at": at, "ingested_at": at,
                        "url": f"https://x.com/u/status/{i}",
                    }
                    for i, (at, _, _, text) in enumerate(posts)
                ],
            )
        ]
        p_neg = {"negative": 0.9, "positive": 0.05}
        conn.execute(
            insert(PREDICTIONS),
            [
                {
                    "post_pk": pk, "sentiment": s, "p_negative": p_neg[s], "p_neutral": 0.05,
                    "p_positive": 0.05, "topics": "[]", "model_version": "test", "watch": "acme",
                    "classified_at": now,
                }
                for pk, (_, s, _, _) in zip(pks, posts, strict=True)
            ],
        )
        conn.execute(
            insert(POST_TOPICS),
            [
                {"post_pk": pk, "topic": t, "score": 0.8}
                for pk, (_, _, topics, _) in zip(pks, posts, strict=True)
                for t in topics
            ],
        )
    stage = TrendsStage(store, bucket=900)
    while stage.run_batch():
        pass


def _judge(store: Store, *, step: timedelta = timedelta(hours=1), until: datetime = END) -> None:
    """Run the alerts stage as time passes, `step` at a time, up to `until`."""
    judges = [
        RuleJudge("acme", r, bucket=900, settings=AlertsConfig(), channels=["ops", "mail"])
        for r in RULES
    ]
    clock = StreamClock(T0)
    stage = AlertsStage(store, judges, clock=clock)
    at = T0
    while at < until:
        at = min(until, at + step)
        clock.advance(at)
        while stage.run_batch():
            pass


def _alerts(store: Store) -> list[dict[str, Any]]:
    with store.reading() as conn:
        return list_alerts(conn)


def _deliveries(store: Store) -> list[tuple[int, str, int, str]]:
    with store.reading() as conn:
        rows = conn.execute(
            select(OUTBOX.c.alert_id, OUTBOX.c.event, OUTBOX.c.revision, OUTBOX.c.channel)
        ).all()
    return sorted((tuple(r) for r in rows), key=lambda r: (r[0], r[2], r[3]))  # type: ignore[misc]


def test_the_overlap_is_shared_posts_over_the_smaller_set() -> None:
    luggage = frozenset(range(40))
    in_flight = frozenset(range(30, 40))  # every one also a luggage post
    assert overlap(luggage, in_flight) == 1.0
    assert same_incident(luggage, in_flight, min_posts=6) == 1.0
    booking = frozenset(range(35, 55))  # 5 of its 20 posts are luggage posts
    assert overlap(luggage, booking) == 0.25
    assert same_incident(luggage, booking, min_posts=6) is None
    assert same_incident(frozenset(range(10)), frozenset(range(5, 20)), min_posts=6) is None
    assert overlap(luggage, frozenset()) == 0.0


def test_an_incident_under_two_topics_gives_one_alert_naming_both(
    any_store: Store, tmp_path: Path
) -> None:
    # A sharp surge: both rules fire on the first window that holds it.
    surge = _surge(30, ("luggage", "booking"), "bag lost after rebooking", minutes=15)
    _store_posts(any_store, _quiet_days() + surge)
    _judge(any_store)
    (alert,) = _alerts(any_store)
    assert alert["topics"] == ["luggage", "booking"]
    assert [r["rule"] for r in alert["rules"]] == [
        "negative_spike:luggage", "negative_spike:booking",
    ]
    assert alert["rules"][1]["overlap"] >= MERGE_OVERLAP
    assert alert["status"] == "resolved"
    assert [h["what"] for h in alert["history"]][:2] == [
        "opened: negative_spike:luggage", "joined: negative_spike:booking",
    ]
    # Both rules fired in the same window: the one "opened" message already names both,
    # and no other message says a topic joined.
    events = [e for _, e, _, ch in _deliveries(any_store) if ch == "ops"]
    assert events[0] == "opened" and events[-1] == "resolved" and "updated" not in events
    with any_store.transaction() as conn:
        due = claim(conn, now=datetime.now(timezone.utc) + timedelta(minutes=1), lease=60,
                    limit=10, channels=["ops"])
    (opened,) = [d for d in due if d.event == "opened"]
    body = WebhookChannel("ops", "http://127.0.0.1:9/").body(opened)
    assert body["alert"]["topics"] == ["luggage", "booking"]
    assert "about luggage, booking" in slack_body(opened.payload)["text"]
    assert "joined:   negative_spike:booking" in text_summary(opened.payload)

    cfg = tmp_path / "config.toml"
    url = any_store.engine.url.render_as_string(hide_password=False)
    cfg.write_text(
        f'[database]\nurl = "{url}"\n\n[classifier]\nenabled = false\n\n'
        '[[watch]]\nname = "acme"\n[[watch.topic]]\nname = "luggage"\ndescription = "bags"\n'
        '[[watch.topic]]\nname = "booking"\ndescription = "bookings"\n'
    )
    table = _cli(cfg, "alerts")
    assert "negative_spike:luggage + negative_spike:booking" in table.replace("\n", " ")
    full = _cli(cfg, "alerts", "--id", str(alert["id"]))
    assert "about luggage, booking" in full and "joined: negative_spike:booking" in full
    page = tmp_path / "report.html"
    _cli(cfg, "report", "--since", "9d", "--out", str(page))
    html = page.read_text()
    assert "#1 negative_spike:luggage + negative_spike:booking" in html
    assert "on <b>luggage</b>, <b>booking</b>" in html


def test_the_report_shows_what_posts_and_config_say_as_text_never_as_markup(
    store: Store, tmp_path: Path
) -> None:
    attack = "<script>alert(1)</script> bag lost"
    _store_posts(store, _quiet_days() + _surge(30, ("luggage",), attack))
    _judge(store)
    [alert] = [a for a in _alerts(store) if a["rule"] == "negative_spike:luggage"]
    assert any(attack in p["text"] for p in alert["posts"])  # the alert quotes the posts
    cfg = tmp_path / "config.toml"
    url = store.engine.url.render_as_string(hide_password=False)
    cfg.write_text(
        f'[database]\nurl = "{url}"\n\n[classifier]\nenabled = false\n\n'
        "[[watch]]\nname = \"acme\"\nbrand = \"<script>alert('brand')</script>\"\n"
        '[[watch.topic]]\nname = "luggage"\ndescription = "bags"\n'
        '[[watch.topic]]\nname = "booking"\ndescription = "bookings"\n'
    )
    page = tmp_path / "report.html"
    _cli(cfg, "report", "--since", "9d", "--out", str(page))
    html = page.read_text()
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;brand&#39;)&lt;/script&gt;: what people said" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; bag lost" in html  # quoted under the alert


def _cli(cfg: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--config", str(cfg), *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_two_incidents_on_separate_posts_at_the_same_time_give_two_alerts(
    any_store: Store,
) -> None:
    _store_posts(
        any_store,
        _quiet_days()
        + _surge(30, ("luggage",), "bag lost at the carousel")
        + _surge(30, ("booking",), "booking site down"),
    )
    _judge(any_store)
    alerts = _alerts(any_store)
    assert sorted(a["rule"] for a in alerts) == ["negative_spike:booking", "negative_spike:luggage"]
    assert all(len(a["rules"]) == 1 for a in alerts)
    assert sorted(tuple(a["topics"]) for a in alerts) == [("booking",), ("luggage",)]
    opened = [(a, e) for a, e, _, ch in _deliveries(any_store) if ch == "ops" and e == "opened"]
    assert len(opened) == 2


def test_a_second_incident_while_the_first_cools_down_gets_its_own_alert(store: Store) -> None:
    # The luggage alert is still open (3h cooldown) when booking complaints surge; most
    # of the few luggage complaints in that window happen to mention a booking too.
    later = SPIKE_AT + 2 * HOUR
    _store_posts(
        store,
        _quiet_days()
        + _surge(30, ("luggage",), "bag lost at the carousel")
        + _surge(30, ("booking",), "booking site down", later, minutes=15)
        + _surge(4, ("luggage", "booking"), "bag lost and rebooking failed", later, minutes=10),
    )
    _judge(store)
    alerts = _alerts(store)
    assert sorted(a["rule"] for a in alerts) == ["negative_spike:booking", "negative_spike:luggage"]
    assert all(len(a["rules"]) == 1 for a in alerts)


def test_a_topic_joining_an_open_alert_later_sends_one_update(store: Store) -> None:
    # Lost bags first; an hour later the same complaints start naming the booking too.
    _store_posts(
        store,
        _quiet_days()
        + _surge(40, ("luggage",), "bag lost at the carousel", minutes=15)
        + _surge(20, ("luggage", "booking"), "bag lost after rebooking", SPIKE_AT + HOUR),
    )
    _judge(store)
    (alert,) = _alerts(store)
    assert alert["topics"] == ["luggage", "booking"]
    assert alert["rules"][1]["since"] > alert["opened_at"]
    with store.reading() as conn:
        rows = conn.execute(
            select(OUTBOX.c.event, OUTBOX.c.revision, OUTBOX.c.payload)
            .where(OUTBOX.c.channel == "mail")
            .order_by(OUTBOX.c.revision)
        ).all()
    assert [(e, r) for e, r, _ in rows] == [("opened", 1), ("updated", 2), ("resolved", 3)]
    assert [json.loads(p)["topics"] for _, _, p in rows] == [
        ["luggage"], ["luggage", "booking"], ["luggage", "booking"],
    ]


@pytest.mark.parametrize("step", [timedelta(minutes=15), timedelta(hours=5)])
def test_judging_again_after_a_kill_gives_the_same_alerts(store: Store, step: timedelta) -> None:
    """Runs killed part way (a transaction rolled back) and resumed in other steps agree."""
    posts = (
        _quiet_days()
        + _surge(30, ("luggage", "booking"), "bag lost after rebooking")
        # after the first has resolved (3h cooldown): an incident of its own
        + _surge(30, ("booking",), "booking site down", SPIKE_AT + 6 * HOUR)
    )
    _store_posts(store, posts)
    _judge(store, until=SPIKE_AT + timedelta(minutes=45))
    with pytest.raises(RuntimeError), store.transaction() as conn:
        judge_all_then_die(conn)
    _judge(store, step=step)
    _judge(store)  # and again over the same data: nothing changes
    with store.reading() as conn:
        states = conn.execute(select(ALERT_RULE_STATE.c.rule, ALERT_RULE_STATE.c.evaluated_until))
        assert {until for _, until in states} == {END - timedelta(minutes=15)}
    resumed = _outcome(store)
    assert [len(a["rules"]) for a in resumed[0]] == [1, 2]  # newest first: the later incident
    assert resumed[0][0]["started_at"] > resumed[0][1]["started_at"]

    with store.transaction() as conn:
        for table in (OUTBOX, ALERT_RULE_STATE, ALERTS):
            conn.execute(table.delete())
    _judge(store, step=timedelta(days=10))  # one pass over everything
    assert _outcome(store) == resumed


def _outcome(store: Store) -> tuple[list[dict[str, Any]], list[tuple[int, str, int, str]]]:
    """The alerts (as JSON, ids left out) and their deliveries (alert by position)."""
    alerts = _alerts(store)
    position = {a["id"]: i for i, a in enumerate(alerts)}
    return (
        [json.loads(json.dumps({k: v for k, v in a.items() if k != "id"})) for a in alerts],
        sorted(((position[a], e, r, ch) for a, e, r, ch in _deliveries(store)),
               key=lambda d: (d[0], d[2], d[3])),
    )


def judge_all_then_die(conn: Any) -> None:
    """Judge everything in `conn`'s transaction, then fail before it commits."""
    from socialbot.watching.incidents import judge_watch

    judges = [
        RuleJudge("acme", r, bucket=900, settings=AlertsConfig(), channels=["ops"]) for r in RULES
    ]
    assert judge_watch(conn, judges, END) > 0
    raise RuntimeError("killed")
