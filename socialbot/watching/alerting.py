"""Judging closed buckets with one rule and recording its alerts (and their deliveries).

Everything a rule decides for a run of windows is written in one transaction:
the alert rows, the outbox rows for the channels, and how far it has judged.
A crash mid-run therefore repeats the same windows with the same result.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from socialbot.config import AlertRuleConfig, AlertsConfig
from socialbot.store.dialect import insert_ignoring_conflicts
from socialbot.store.types import utcnow
from socialbot.watching.counting import bucket_start, oldest_uncounted
from socialbot.watching.episodes import EpisodeState, Event, step
from socialbot.watching.explain import representative, rising_phrases, window_posts
from socialbot.watching.outbox import enqueue
from socialbot.watching.series import first_bucket, load_series
from socialbot.watching.spike import Counts, Evaluation, RuleParams, evaluate
from socialbot.watching.tables import ALERT_RULE_STATE, ALERTS, ALL_TOPICS

logger = logging.getLogger(__name__)

#: events people are told about; "updated" only refreshes the stored alert
DELIVERED: frozenset[str] = frozenset({"opened", "escalated", "resolved"})


@dataclass
class RuleRun:
    """What one call to `judge` did."""

    windows: int = 0
    opened: int = 0
    events: int = 0


class RuleJudge:
    """One rule of one watch, judging each bucket once it has closed by `now`."""

    def __init__(
        self,
        watch: str,
        rule: AlertRuleConfig,
        *,
        bucket: float,
        settings: AlertsConfig,
        channels: list[str],
        brand_accounts: Sequence[str] = (),
    ) -> None:
        self.watch = watch
        self.brand_accounts = tuple(brand_accounts)
        self.rule = rule
        self.label = rule.label
        self.bucket = bucket
        self.settings = settings
        self.channels = channels
        self.params = RuleParams.from_config(rule, bucket=bucket)

    def judge(self, conn: Connection, now: datetime, *, max_windows: int = 672) -> RuleRun:
        """Judge the closed, unjudged windows (at most `max_windows`) in `conn`'s transaction."""
        run = RuleRun()
        history = first_bucket(conn, self.watch)
        if history is None:
            return run
        state_row = self._lock_state(conn, history)
        done = state_row.evaluated_until
        width = timedelta(seconds=self.bucket)
        last_closed = bucket_start(now - timedelta(seconds=self.settings.settle), self.bucket)
        waiting = oldest_uncounted(conn, since=done)
        if waiting is not None and now - waiting < timedelta(seconds=self.settings.max_wait):
            # A bucket is judged on all of its posts: wait for classify and trends to catch up.
            last_closed = min(last_closed, bucket_start(waiting, self.bucket))
        n = min(int((last_closed - done) / width), max_windows)
        if n <= 0:
            return run
        lookback = self.params.lookback
        origin = done - width * (lookback - 1)
        end_time = done + width * n
        counts = self._counts(conn, origin, end_time)
        history_start = max(0, int((history - origin) / width))
        state = EpisodeState(
            open=state_row.open_alert_id is not None,
            last_anomalous_end=state_row.last_anomalous_end,
            peak=state_row.peak,
            notified_peak=state_row.notified_peak,
        )
        alert_id = state_row.open_alert_id
        cooldown = timedelta(seconds=self.rule.cooldown)
        for i in range(1, n + 1):
            end = done + width * i
            ev = evaluate(
                counts,
                lookback - 1 + i,
                self.params,
                history_start=history_start,
                continuing=state.open,
            )
            state, event = step(state, end, ev, cooldown=cooldown)
            run.windows += 1
            if event is None:
                continue
            alert_id = self._record(conn, event, alert_id, end, ev, now)
            run.events += event in DELIVERED
            run.opened += event == "opened"
            if event == "resolved":
                alert_id = None
        self._save_state(conn, end_time, state, alert_id)
        return run

    def _counts(self, conn: Connection, start: datetime, end: datetime) -> Counts:
        topic = self.rule.topic or ALL_TOPICS
        everything = load_series(
            conn, self.watch, start=start, end=end, width=self.bucket, topic=topic
        )
        total = everything.total()
        if self.rule.kind == "volume_spike":
            return Counts(total, total)
        negative = load_series(
            conn,
            self.watch,
            start=start,
            end=end,
            width=self.bucket,
            topic=topic,
            sentiment="negative",
        )
        return Counts(negative.total(), total)

    def _record(
        self,
        conn: Connection,
        event: Event,
        alert_id: int | None,
        end: datetime,
        ev: Evaluation,
        now: datetime,
    ) -> int:
        """Write what `event` changes; queue a delivery for the events people are told about.

        The alert always shows its strongest window so far (observed, baseline,
        score, posts, phrases); an update with a stronger window refreshes them
        without being sent again unless it doubles the count ("escalated").
        """
        window_start = end - timedelta(seconds=self.bucket * ev.window_buckets)
        values: dict[str, Any] = {"updated_at": utcnow()}
        current = (
            None if alert_id is None
            else conn.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).one()
        )
        if current is None or (event != "resolved" and ev.observed > current.observed):
            # The baseline ends where the incident began, so it never explains itself.
            began = window_start if current is None else current.started_at
            detail = self._detail(conn, ev, window_start, end, baseline_end=began)
            detail["opened_at"] = (
                end.isoformat() if current is None else json.loads(current.detail).get("opened_at")
            )
            values |= {
                "window_start": window_start, "window_end": end, "observed": float(ev.observed),
                "baseline": float(ev.expected), "score": ev.score, "peak": float(ev.observed),
                "detail": json.dumps(detail),
            }
        if current is None:
            values |= {
                "watch": self.watch, "rule": self.label, "kind": self.rule.kind,
                "topic": self.rule.topic, "status": "open", "started_at": window_start,
                "revision": 1, "created_at": utcnow(),
            }
            alert_id = int(
                conn.execute(insert(ALERTS).values(**values).returning(ALERTS.c.id)).scalar_one()
            )
            logger.info(
                "alert opened: %s/%s %d posts in %s..%s vs baseline %.1f (p=%.1e)",
                self.watch, self.label, ev.observed, window_start.isoformat(), end.isoformat(),
                ev.expected, ev.score,
            )
        else:
            if event in ("escalated", "resolved"):
                values["revision"] = ALERTS.c.revision + 1
            if event == "resolved":
                values |= {"status": "resolved", "resolved_at": end}
            conn.execute(update(ALERTS).where(ALERTS.c.id == current.id).values(**values))
        assert alert_id is not None
        if event in DELIVERED and not self.settings.dry_run:
            enqueue(conn, alert_id, event, self.channels, now=utcnow(), settings=self.settings)
        return alert_id

    def _detail(
        self, conn: Connection, ev: Evaluation, start: datetime, end: datetime, *,
        baseline_end: datetime,
    ) -> dict[str, Any]:
        negative = self.rule.kind != "volume_spike"
        posts = window_posts(
            conn, self.watch, topic=self.rule.topic, negative_only=negative, start=start, end=end,
            exclude_authors=self.brand_accounts,
        )
        base_start = baseline_end - timedelta(days=self.rule.baseline_days)
        baseline = window_posts(
            conn,
            self.watch,
            topic=self.rule.topic,
            negative_only=negative,
            start=base_start,
            end=baseline_end,
            limit=3000,
            newest_first=True,
            exclude_authors=self.brand_accounts,
        )
        rising = rising_phrases([p.text for p in posts], [p.text for p in baseline])
        return {
            "method": ev.method() if self.rule.kind != "threshold" else ev.notes[0],
            "window_minutes": ev.window_buckets * self.bucket / 60,
            "total_posts": ev.total,
            "seasonal_mean": ev.seasonal_mean,
            "seasonal_windows": ev.seasonal_windows,
            "level": ev.level,
            "recent_posts": ev.recent_posts,
            "recent_usual": ev.recent_usual,
            "share": ev.share,
            "baseline_share": ev.baseline_share,
            "share_score": ev.share_score,
            "sensitivity": self.rule.sensitivity,
            "posts": representative(posts, rising, negative_first=negative),
            "phrases": [
                {
                    "phrase": r.phrase,
                    "window_posts": r.window_posts,
                    "baseline_posts": r.baseline_posts,
                    "z": round(r.z, 2),
                }
                for r in rising
            ],
        }

    def _lock_state(self, conn: Connection, history: datetime) -> Any:
        """The rule's state row, created on first use and locked (PostgreSQL) for this run."""
        key = (ALERT_RULE_STATE.c.watch == self.watch, ALERT_RULE_STATE.c.rule == self.label)
        conn.execute(
            insert_ignoring_conflicts(conn, ALERT_RULE_STATE).values(
                watch=self.watch,
                rule=self.label,
                evaluated_until=history,
                peak=0.0,
                notified_peak=0.0,
            )
        )
        query = select(ALERT_RULE_STATE).where(*key)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return conn.execute(query).one()

    def _save_state(
        self, conn: Connection, until: datetime, state: EpisodeState, alert_id: int | None
    ) -> None:
        conn.execute(
            update(ALERT_RULE_STATE)
            .where(ALERT_RULE_STATE.c.watch == self.watch, ALERT_RULE_STATE.c.rule == self.label)
            .values(
                evaluated_until=until,
                open_alert_id=alert_id if state.open else None,
                last_anomalous_end=state.last_anomalous_end,
                peak=state.peak,
                notified_peak=state.notified_peak,
            )
        )
