"""Delivery: every alert revision reaches every channel exactly once, through failures and kills."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from socialbot.config import AlertsConfig, EmailChannelConfig, WebhookChannelConfig
from socialbot.errors import ConfigError
from socialbot.stages.deliver import DeliverStage
from socialbot.store import Store
from socialbot.watching.channels import build_channel
from socialbot.watching.channels.email import EmailChannel
from socialbot.watching.channels.webhook import WebhookChannel
from socialbot.watching.outbox import claim, enqueue
from socialbot.watching.tables import ALERTS, OUTBOX
from tests.monitoring.receivers import smtp_server, webhook_receiver

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
SETTINGS = AlertsConfig(backoff=30, max_backoff=600, expire_after=3600, lease=120)


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


DETAIL = {
    "method": "same hours on 4 previous day(s): mean 1.75",
    "share": 0.6,
    "baseline_share": 0.45,
    "total_posts": 25,
    "opened_at": "2026-11-06T15:15:00+00:00",
    "posts": [
        {
            "platform": "twitter",
            "id": "1",
            "author": "ana",
            "url": "https://x.com/ana/status/1",
            "text": "orders not arriving, tracking stuck #parcellydown",
            "created_at": "2026-11-06T14:50:00+00:00",
            "p_negative": 0.97,
        }
    ],
    "phrases": [{"phrase": "tracking stuck", "window_posts": 9, "baseline_posts": 0, "z": 4.2}],
}


def make_alert(store: Store, channels: list[str], *, settings: AlertsConfig = SETTINGS) -> int:
    start = datetime(2026, 11, 6, 14, 15, tzinfo=timezone.utc)
    with store.transaction() as conn:
        alert_id = conn.execute(
            insert(ALERTS)
            .values(
                watch="parcelly",
                rule="negative_spike:delivery",
                kind="negative_spike",
                topic="delivery",
                status="open",
                started_at=start,
                window_start=start,
                window_end=start + timedelta(hours=1),
                observed=15,
                baseline=1.75,
                score=3.3e-6,
                peak=15,
                detail=json.dumps(DETAIL),
                revision=1,
                created_at=NOW,
                updated_at=NOW,
            )
            .returning(ALERTS.c.id)
        ).scalar_one()
        enqueue(conn, alert_id, "opened", channels, now=NOW, settings=settings)
    return int(alert_id)


def _outbox(store: Store) -> list:  # type: ignore[type-arg]
    with store.reading() as conn:
        return list(conn.execute(select(OUTBOX).order_by(OUTBOX.c.id)))


def test_a_webhook_failing_twice_gets_the_alert_once(any_store: Store) -> None:
    make_alert(any_store, ["hook"])
    clock = FakeClock()
    with webhook_receiver(fail_first=2) as hook:
        stage = DeliverStage(
            any_store, [WebhookChannel("hook", hook.url)], settings=SETTINGS, clock=clock
        )
        assert stage.run_batch() == 1  # attempt 1: HTTP 500
        assert stage.run_batch() == 0  # backing off: not due yet
        clock.advance(30)
        assert stage.run_batch() == 1  # attempt 2: HTTP 500
        clock.advance(30)
        assert stage.run_batch() == 0  # the second delay doubled to 60s
        clock.advance(30)
        assert stage.run_batch() == 1  # attempt 3: accepted
        clock.advance(3600)
        assert stage.run_batch() == 0
    assert len(hook.requests) == 3
    assert len(hook.accepted) == 1
    assert {d for d, _ in hook.requests} == {"alert-1-r1-hook"}
    (row,) = _outbox(any_store)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 3, NOW + timedelta(seconds=90))
    body = hook.accepted[0][1]
    assert body["delivery_id"] == "alert-1-r1-hook"
    assert body["alert"]["rule"] == "negative_spike:delivery"
    assert body["alert"]["phrases"][0]["phrase"] == "tracking stuck"


def test_slack_format_is_text_plus_blocks(store: Store) -> None:
    make_alert(store, ["slack"])
    with webhook_receiver() as hook:
        channel = WebhookChannel("slack", hook.url, format="slack")
        DeliverStage(store, [channel], settings=SETTINGS, clock=FakeClock()).run_batch()
    body = hook.accepted[0][1]
    assert set(body) == {"text", "blocks"}
    assert "negative posts spiking about delivery" in body["text"]
    assert body["blocks"][0]["type"] == "header"
    assert len(body["blocks"][0]["text"]["text"]) <= 150
    assert any("tracking stuck" in json.dumps(b) for b in body["blocks"])
    assert any("https://x.com/ana/status/1" in json.dumps(b) for b in body["blocks"])


def test_email_is_plain_text_and_html_over_smtp(store: Store) -> None:
    make_alert(store, ["mail"])
    with smtp_server() as box:
        cfg = EmailChannelConfig(
            name="mail",
            kind="email",
            host="127.0.0.1",
            port=box.port,
            security="none",
            sender="alerts@example.com",
            to=["team@example.com", "oncall@example.com"],
        )
        stage = DeliverStage(store, [EmailChannel(cfg)], settings=SETTINGS, clock=FakeClock())
        assert stage.run_batch() == 1
        assert stage.run_batch() == 0
    (msg,) = box.messages
    assert box.envelopes[0][1] == ["<team@example.com>", "<oncall@example.com>"]
    assert msg["Subject"].startswith("[ALERT] parcelly: negative posts spiking about delivery")
    assert msg["Message-ID"] == "<alert-1-r1-mail@socialbot>"
    plain = msg.get_body(("plain",))
    rich = msg.get_body(("html",))
    assert plain is not None and rich is not None
    assert "tracking stuck" in plain.get_content()
    assert "<h2>" in rich.get_content() and "https://x.com/ana/status/1" in rich.get_content()


def test_a_delivery_that_keeps_failing_expires(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    make_alert(store, ["hook"])
    clock = FakeClock()
    stage = DeliverStage(
        store,
        [WebhookChannel("hook", "http://127.0.0.1:9/nothing", timeout=2)],
        settings=SETTINGS,
        clock=clock,
    )
    with caplog.at_level(logging.WARNING):
        for _ in range(20):
            stage.run_batch()
            clock.advance(600)
    (row,) = _outbox(store)
    assert row.status == "expired"
    assert "webhook unreachable" in row.last_error
    assert "giving up" in caplog.text


def test_a_worker_killed_mid_delivery_delivers_once_after_restart(
    tmp_path: Path, store: Store
) -> None:
    make_alert(store, ["hook"])
    url = store.engine.url.render_as_string(hide_password=False)
    with webhook_receiver(hold_first=1) as hook:
        script = (
            "import sys; from socialbot.store import Store; from sqlalchemy import create_engine\n"
            "from socialbot.config import AlertsConfig\n"
            "from socialbot.stages.deliver import DeliverStage\n"
            "from socialbot.watching.channels.webhook import WebhookChannel\n"
            "store = Store(create_engine(sys.argv[1]))\n"
            "DeliverStage(store, [WebhookChannel('hook', sys.argv[2])], "
            "settings=AlertsConfig(lease=120)).run_batch()\n"
        )
        worker = subprocess.Popen(
            [sys.executable, "-c", script, url, hook.url], cwd=Path(__file__).resolve().parents[2]
        )
        try:
            assert hook.holding.wait(60), "the worker never called the webhook"
        finally:
            worker.kill()
            worker.wait(30)
        hook.release.set()
        (row,) = _outbox(store)
        assert row.status == "sending" and row.attempts == 1
        restarted = FakeClock(datetime.now(timezone.utc))
        stage = DeliverStage(
            store, [WebhookChannel("hook", hook.url)], settings=SETTINGS, clock=restarted
        )
        assert stage.run_batch() == 0  # the dead worker's lease still holds: no double send
        restarted.advance(121)
        assert stage.run_batch() == 1
        restarted.advance(3600)
        assert stage.run_batch() == 0
    assert len(hook.accepted) == 1
    assert [d for d, _ in hook.requests] == ["alert-1-r1-hook", "alert-1-r1-hook"]
    (row,) = _outbox(store)
    assert (row.status, row.attempts) == ("sent", 2)


KILLED_AFTER_SEND = (
    "import os, sys; from socialbot.store import Store; from sqlalchemy import create_engine\n"
    "from socialbot.config import AlertsConfig, EmailChannelConfig\n"
    "import socialbot.stages.deliver as deliver\n"
    "from socialbot.watching.channels.email import EmailChannel\n"
    "from socialbot.watching.channels.webhook import WebhookChannel\n"
    "def killed(*args, **kwargs): os._exit(9)  # the receiver has it; the outbox never hears\n"
    "deliver.mark_sent = killed\n"
    "kind, target = sys.argv[2], sys.argv[3]\n"
    "channel = (WebhookChannel('out', target) if kind == 'webhook' else EmailChannel("
    "EmailChannelConfig(name='out', kind='email', host='127.0.0.1', port=int(target), "
    "security='none', sender='alerts@example.com', to=['team@example.com'])))\n"
    "deliver.DeliverStage(Store(create_engine(sys.argv[1])), [channel], "
    "settings=AlertsConfig(lease=120)).run_batch()\n"
)


def _killed_between_send_and_mark_sent(store: Store, kind: str, target: str) -> None:
    """Deliver in a worker process that dies after the send, before `mark_sent`."""
    url = store.engine.url.render_as_string(hide_password=False)
    worker = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_SEND, url, kind, target],
        cwd=Path(__file__).resolve().parents[2], timeout=120, check=False,
    )
    assert worker.returncode == 9
    (row,) = _outbox(store)
    assert row.status == "sending" and row.attempts == 1


def _resend_after_the_lease(store: Store, channel: WebhookChannel | EmailChannel) -> None:
    restarted = FakeClock(datetime.now(timezone.utc) + timedelta(seconds=121))
    stage = DeliverStage(store, [channel], settings=SETTINGS, clock=restarted)
    assert stage.run_batch() == 1
    (row,) = _outbox(store)
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_webhook_resent_after_a_kill_carries_the_same_idempotency_key(store: Store) -> None:
    make_alert(store, ["out"])
    with webhook_receiver(dedupe=True) as hook:
        _killed_between_send_and_mark_sent(store, "webhook", hook.url)
        assert len(hook.accepted) == 1  # the first POST did arrive
        _resend_after_the_lease(store, WebhookChannel("out", hook.url))
    # At least once: the alert was POSTed twice, both times under one key...
    assert hook.keys == ["alert-1-r1-out", "alert-1-r1-out"]
    assert [d for d, _ in hook.requests] == hook.keys
    assert hook.requests[0][1] == hook.requests[1][1]
    # ...so a receiver that remembers keys it has handled acts on it once.
    assert len(hook.accepted) == 1


def test_an_email_resent_after_a_kill_carries_the_same_message_id(store: Store) -> None:
    make_alert(store, ["out"])
    with smtp_server() as box:
        _killed_between_send_and_mark_sent(store, "email", str(box.port))
        assert len(box.messages) == 1
        cfg = EmailChannelConfig(name="out", kind="email", host="127.0.0.1", port=box.port,
                                 security="none", sender="alerts@example.com",
                                 to=["team@example.com"])
        _resend_after_the_lease(store, EmailChannel(cfg))
    first, again = box.messages
    assert first["Message-ID"] == again["Message-ID"] == "<alert-1-r1-out@socialbot>"
    assert first["Subject"] == again["Subject"]


def test_the_same_revision_is_never_queued_twice(any_store: Store) -> None:
    alert_id = make_alert(any_store, ["a", "b"])
    with any_store.transaction() as conn:
        enqueue(conn, alert_id, "opened", ["a", "b"], now=NOW, settings=SETTINGS)
    assert len(_outbox(any_store)) == 2


def test_parallel_workers_never_claim_the_same_delivery(any_store: Store) -> None:
    if any_store.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time; the lease alone guards it (tested above)")
    make_alert(any_store, ["a", "b", "c"])
    with any_store.engine.connect() as one, any_store.engine.connect() as two, one.begin():
        first = claim(one, now=NOW, lease=60, limit=2, channels=["a", "b", "c"])
        with two.begin():
            second = claim(two, now=NOW, lease=60, limit=5, channels=["a", "b", "c"])
    assert len(first) == 2 and len(second) == 1
    assert not {d.id for d in first} & {d.id for d in second}


def test_a_missing_secret_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TEST_SOCIALBOT_HOOK", raising=False)
    cfg = WebhookChannelConfig(name="hook", kind="webhook", url_env="TEST_SOCIALBOT_HOOK")
    with pytest.raises(ConfigError, match="TEST_SOCIALBOT_HOOK"):
        build_channel(cfg)
    monkeypatch.setenv("TEST_SOCIALBOT_HOOK", "http://127.0.0.1:1/x")
    assert build_channel(cfg).name == "hook"
