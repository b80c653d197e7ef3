"""Judging closed buckets with one rule: its counts, its verdicts, their explanation, its state.

What the verdicts change (alerts and their deliveries) is recorded by
socialbot.watching.incidents, every rule of a watch window by window in one
transaction with how far each has judged. A crash mid-run therefore repeats the
same windows with the same result.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from socialbot.config import AlertRuleConfig, AlertsConfig
from socialbot.store.dialect import insert_ignoring_conflicts
from socialbot.watching.counting import bucket_start, oldest_uncounted
from socialbot.watching.episodes import EpisodeState
from socialbot.watching.explain import representative, rising_phrases, window_posts
from socialbot.watching.series import load_series
from socialbot.watching.spike import Counts, Evaluation, RuleParams, evaluate
from socialbot.watching.tables import ALERT_RULE_STATE, ALL_TOPICS

logger = logging.getLogger(__name__)


@dataclass
class RuleRun:
    """One rule's pass over the windows that closed since it last looked."""

    judge: RuleJudge
    #: the end of the last window judged before this pass
    done: datetime
    windows: int
    counts: Counts | None
    history_start: int
    state: EpisodeState
    #: the alert this rule's open episode is part of (opened by it, or joined)
    alert_id: int | None

    def ends(self) -> list[datetime]:
        """The ends of the windows this pass judges, oldest first."""
        width = timedelta(seconds=self.judge.bucket)
        return [self.done + width * i for i in range(1, self.windows + 1)]

    def verdict(self, end: datetime) -> Evaluation:
        """The detector's verdict on the window ending at `end` (one of `ends()`)."""
        assert self.counts is not None
        i = round((end - self.done) / timedelta(seconds=self.judge.bucket))
        return evaluate(
            self.counts,
            self.judge.params.lookback - 1 + i,
            self.judge.params,
            history_start=self.history_start,
            continuing=self.state.open,
        )

    @property
    def attached(self) -> int | None:
        """The open alert this rule currently feeds, if any."""
        return self.alert_id if self.state.open else None


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

    def begin(
        self, conn: Connection, now: datetime, *, history: datetime, max_windows: int = 672
    ) -> RuleRun:
        """Lock the rule's state and load the counts for its closed, unjudged windows
        (at most `max_windows`); `history` is the watch's first counted bucket."""
        state_row = self._lock_state(conn, history)
        done = state_row.evaluated_until
        state = EpisodeState(
            open=state_row.open_alert_id is not None,
            last_anomalous_end=state_row.last_anomalous_end,
            peak=state_row.peak,
            notified_peak=state_row.notified_peak,
        )
        run = RuleRun(self, done, 0, None, 0, state, state_row.open_alert_id)
        width = timedelta(seconds=self.bucket)
        last_closed = bucket_start(now - timedelta(seconds=self.settings.settle), self.bucket)
        waiting = oldest_uncounted(conn, since=done)
        if waiting is not None and now - waiting < timedelta(seconds=self.settings.max_wait):
            # A bucket is judged on all of its posts: wait for classify and trends to catch up.
            last_closed = min(last_closed, bucket_start(waiting, self.bucket))
        n = min(int((last_closed - done) / width), max_windows)
        if n <= 0:
            return run
        origin = done - width * (self.params.lookback - 1)
        run.windows = n
        run.counts = self._counts(conn, origin, done + width * n)
        run.history_start = max(0, int((history - origin) / width))
        return run

    def save(self, conn: Connection, run: RuleRun) -> None:
        """Record how far `run` judged and the episode it leaves open, if any."""
        if not run.windows:
            return
        state = run.state
        conn.execute(
            update(ALERT_RULE_STATE)
            .where(ALERT_RULE_STATE.c.watch == self.watch, ALERT_RULE_STATE.c.rule == self.label)
            .values(
                evaluated_until=run.ends()[-1],
                open_alert_id=run.attached,
                last_anomalous_end=state.last_anomalous_end,
                peak=state.peak,
                notified_peak=state.notified_peak,
            )
        )

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

    def detail(
        self, conn: Connection, ev: Evaluation, start: datetime, end: datetime, *,
        baseline_end: datetime,
    ) -> dict[str, Any]:
        """Why the window [start, end) is anomalous: how the baseline was computed, the
        representative posts and the phrases that rose against the baseline period."""
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
