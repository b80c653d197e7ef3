"""The trends stage: classified posts -> per-bucket counts, incrementally."""

from __future__ import annotations

import logging

from sqlalchemy import Connection, func, select

from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store
from socialbot.watching.counting import count_batch, pending_count
from socialbot.watching.tables import TREND_COUNTED

logger = logging.getLogger(__name__)


class TrendsStage(Stage):
    """Claims predictions not yet counted and adds them to `trend_buckets` in one transaction."""

    kind = "trends"
    name = "trends"

    def __init__(self, store: Store, *, bucket: float, batch_size: int = 2000) -> None:
        self.store = store
        self.bucket = bucket
        self.batch_size = batch_size

    def run_batch(self) -> int:
        with self.store.transaction() as conn:
            handled = count_batch(conn, bucket=self.bucket, limit=self.batch_size)
        if handled:
            logger.debug("counted %d predictions into trend buckets", handled)
        return handled

    def progress(self, conn: Connection) -> dict[str, int]:
        counted = conn.execute(select(func.count()).select_from(TREND_COUNTED)).scalar_one()
        return {"counted": int(counted), "pending": pending_count(conn)}


def build_trends_stages(ctx: StageContext) -> list[Stage]:
    """One trends stage; it needs no configuration beyond the bucket width."""
    return [TrendsStage(ctx.store, bucket=ctx.config.trends.bucket)]
