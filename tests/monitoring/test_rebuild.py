"""Changing `[trends] bucket`: stages refuse mixed widths until `socialbot trends --rebuild`."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner, Result

from socialbot.cli import app
from socialbot.clock import StreamClock
from socialbot.config import AlertRuleConfig, AlertsConfig, parse_config
from socialbot.stages.alerts import AlertsStage, build_alerts_stages
from socialbot.stages.base import StageContext
from socialbot.stages.trends import TrendsStage, rebuild
from socialbot.store import Store
from socialbot.watching.alerting import RuleJudge
from socialbot.watching.bucket_width import BucketWidthMismatch
from socialbot.watching.tables import (
    ALERT_RULE_STATE,
    TREND_BUCKETS,
    TREND_COUNTED,
    TREND_SETTINGS,
)
from tests.monitoring.conftest import add_post

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
POSTS = 40
MISMATCH = "trends were counted in 15m buckets but [trends] bucket is 1h"


def _add_posts(store: Store) -> None:
    """A post every 7 minutes from 09:05, so 15m buckets fall off the hour."""
    sentiments = ("negative", "neutral", "positive")
    with store.transaction() as conn:
        for i in range(POSTS):
            add_post(
                conn,
                i,
                T0 + timedelta(minutes=5 + 7 * i),
                sentiment=sentiments[i % 3],
                topics=("delivery", "billing")[: i % 3],
            )


def _drain(stage: TrendsStage | AlertsStage) -> int:
    total = 0
    while n := stage.run_batch():
        total += n
    return total


def _write_config(path: Path, store: Store, bucket: str) -> Path:
    url = store.engine.url.render_as_string(hide_password=False)
    path.write_text(
        f'[database]\nurl = "{url}"\n\n[classifier]\nenabled = false\n\n'
        f'[[watch]]\nname = "acme"\nbrand = "Acme"\n\n[trends]\nbucket = "{bucket}"\n'
    )
    return path


def _invoke(cfg: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", str(cfg), *args])


def _refused_run(cfg: Path) -> tuple[int, str]:
    """`run --once` expected to stop on a config error: its exit code and output."""
    result = _invoke(cfg, "run", "--once")
    return result.exit_code, result.output


def _stored(store: Store) -> dict[str, Any]:
    """Everything a rebuild may change, in a comparable form."""
    with store.reading() as conn:
        return {
            "buckets": sorted(tuple(r) for r in conn.execute(select(TREND_BUCKETS))),
            "counted": sorted(tuple(r) for r in conn.execute(select(TREND_COUNTED))),
            "rules": sorted(tuple(r) for r in conn.execute(select(ALERT_RULE_STATE))),
            "width": conn.execute(select(TREND_SETTINGS.c.bucket_seconds)).scalar_one(),
        }


def _on_hour(at: datetime) -> bool:
    return at.timestamp() % 3600 == 0


def test_a_changed_bucket_is_refused_until_a_rebuild_recounts_at_the_new_width(
    any_store: Store, tmp_path: Path
) -> None:
    _add_posts(any_store)
    cfg = _write_config(tmp_path / "config.toml", any_store, "15m")
    counted = _invoke(cfg, "run", "--once")
    assert counted.exit_code == 0, counted.output
    assert f"trends: {POSTS} handled" in counted.output
    with any_store.transaction() as conn:  # a rule judged up to a quarter past
        conn.execute(
            insert(ALERT_RULE_STATE).values(
                watch="acme",
                rule="volume_spike:all",
                evaluated_until=T0 + timedelta(minutes=105),
                peak=0.0,
                notified_peak=0.0,
            )
        )
    assert not all(_on_hour(row[2]) for row in _stored(any_store)["buckets"])

    _write_config(cfg, any_store, "1h")
    code, output = _refused_run(cfg)
    assert code == 2
    assert MISMATCH in output
    assert "`socialbot trends --rebuild`" in output
    assert len(output.strip().splitlines()) == 1  # one line, no traceback
    status = _invoke(cfg, "status", "--json")  # where one looks next: it shows why
    assert status.exit_code == 0, status.output
    shown_status = json.loads(status.output)
    assert [MISMATCH in p for p in shown_status["problems"]] == [True]
    assert shown_status["posts"]["total"] == POSTS

    rebuilt = _invoke(cfg, "trends", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"recounted {POSTS} classified posts in 1h buckets" in rebuilt.output
    shown = json.loads(_invoke(cfg, "trends", "--json", "--bucket", "1h").output)
    assert sum(sum(v) for v in shown["series"].values()) == POSTS
    stored = _stored(any_store)
    assert stored["width"] == 3600
    assert all(_on_hour(row[2]) for row in stored["buckets"])
    assert all(_on_hour(row[2]) for row in stored["counted"])
    assert [row[2] for row in stored["rules"]] == [T0 + timedelta(hours=1)]  # moved down
    assert _invoke(cfg, "run", "--once").exit_code == 0  # 1h counts: accepted now

    again = _invoke(cfg, "trends", "--rebuild")
    assert again.exit_code == 0 and f"recounted {POSTS}" in again.output
    assert _stored(any_store) == stored


def test_the_alerts_stage_judges_nothing_on_counts_of_another_width(any_store: Store) -> None:
    _add_posts(any_store)
    _drain(TrendsStage(any_store, bucket=900))
    rule = AlertRuleConfig(kind="volume_spike")

    def alerts(bucket: float, now: datetime) -> AlertsStage:
        judge = RuleJudge("acme", rule, bucket=bucket, settings=AlertsConfig(), channels=[])
        return AlertsStage(any_store, [judge], clock=StreamClock(now))

    _drain(alerts(900, T0 + timedelta(hours=2, minutes=50)))
    judged = _stored(any_store)["rules"]
    assert [row[2] for row in judged] == [T0 + timedelta(hours=2, minutes=45)]

    watch = {"name": "acme", "alert": [{"kind": "volume_spike"}]}
    hourly = parse_config({"trends": {"bucket": "1h"}, "watch": [watch]})
    with pytest.raises(BucketWidthMismatch, match=re.escape(MISMATCH)):
        build_alerts_stages(StageContext(config=hourly, store=any_store))
    with pytest.raises(BucketWidthMismatch):
        alerts(3600, T0 + timedelta(hours=5)).run_batch()
    assert _stored(any_store)["rules"] == judged  # not a window judged

    assert rebuild(TrendsStage(any_store, bucket=3600)) == POSTS
    assert [row[2] for row in _stored(any_store)["rules"]] == [T0 + timedelta(hours=2)]
    assert _drain(alerts(3600, T0 + timedelta(hours=5))) == 2  # 11:00-12:00, 12:00-13:00
    assert [row[2] for row in _stored(any_store)["rules"]] == [T0 + timedelta(hours=4)]


def test_a_bucket_changed_before_anything_was_counted_needs_no_rebuild(store: Store) -> None:
    assert TrendsStage(store, bucket=900).run_batch() == 0  # first start, no posts yet
    _add_posts(store)
    assert _drain(TrendsStage(store, bucket=3600)) == POSTS
    assert _stored(store)["width"] == 3600
