"""The alerts stage: judge each closed bucket with every `[[watch.alert]]` rule."""

from __future__ import annotations

import logging

from sqlalchemy import Connection, func, select

from socialbot.clock import Clock
from socialbot.config import Config
from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store
from socialbot.watching.alerting import RuleJudge
from socialbot.watching.bucket_width import check_width
from socialbot.watching.incidents import judge_watch
from socialbot.watching.tables import ALERTS

logger = logging.getLogger(__name__)


def channels_for(config: Config, watch: str) -> list[str]:
    """The channels an alert of `watch` goes to."""
    return [c.name for c in config.channel if not c.watches or watch in c.watches]


class AlertsStage(Stage):
    """Runs every rule over the buckets that closed (by `clock`) since it last looked.

    During replay the clock is the posts' own time, so a replay judges exactly
    the windows a live daemon would have, in the same order, with the same result.
    The rules of one watch are judged together, window by window in one
    transaction, so rules firing on the same posts share one alert
    (socialbot.watching.incidents). Buckets counted at another width than the
    rules' are never judged: the batch raises BucketWidthMismatch (recorded
    against the job) instead.
    """

    kind = "alerts"
    name = "alerts"

    def __init__(self, store: Store, judges: list[RuleJudge], *, clock: Clock) -> None:
        self.store = store
        self.judges = judges
        self.clock = clock
        #: the judges per watch, in config order (the order rules are judged in a window)
        self.by_watch: dict[str, list[RuleJudge]] = {}
        for judge in judges:
            self.by_watch.setdefault(judge.watch, []).append(judge)

    def run_batch(self) -> int:
        now = self.clock.now()
        windows = 0
        for judges in self.by_watch.values():
            with self.store.transaction() as conn:
                # Checked in the judging transaction, so a rebuild cannot slip in between.
                for width in sorted({j.bucket for j in judges}):
                    check_width(conn, width)
                windows += judge_watch(conn, judges, now)
        return windows

    def progress(self, conn: Connection) -> dict[str, int]:
        rows = conn.execute(select(ALERTS.c.status, func.count()).group_by(ALERTS.c.status))
        return {f"alerts {status}": int(n) for status, n in rows}


def build_alerts_stages(ctx: StageContext) -> list[Stage]:
    """One alerts stage judging every rule of every watch (none when no rule is configured).

    Refuses to start when the stored trend counts were made at another width.
    """
    cfg = ctx.config
    judges = [
        RuleJudge(
            watch.name,
            rule,
            bucket=cfg.trends.bucket,
            settings=cfg.alerts,
            channels=channels_for(cfg, watch.name),
            brand_accounts=watch.reply.handles,
        )
        for watch in cfg.watch
        for rule in watch.alert
    ]
    if not judges:
        return []
    with ctx.store.reading() as conn:
        check_width(conn, cfg.trends.bucket)
    return [AlertsStage(ctx.store, judges, clock=ctx.clock)]
