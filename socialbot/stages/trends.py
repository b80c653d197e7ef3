"""The trends stage: classified posts -> per-bucket counts, incrementally."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Connection, func, select

from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store
from socialbot.watching.bucket_width import check_width, claim_width, reset_counts
from socialbot.watching.counting import count_batch, pending_count
from socialbot.watching.tables import TREND_COUNTED

logger = logging.getLogger(__name__)


class TrendsStage(Stage):
    """Claims predictions not yet counted and adds them to `trend_buckets` in one transaction.

    Every batch first checks that the stored counts were made at this stage's
    width (BucketWidthMismatch if not), so two widths are never mixed.
    """

    kind = "trends"
    name = "trends"

    def __init__(self, store: Store, *, bucket: float, batch_size: int = 2000) -> None:
        self.store = store
        self.bucket = bucket
        self.batch_size = batch_size

    def run_batch(self) -> int:
        with self.store.transaction() as conn:
            claim_width(conn, self.bucket)
            handled = count_batch(conn, bucket=self.bucket, limit=self.batch_size)
        if handled:
            logger.debug("counted %d predictions into trend buckets", handled)
        return handled

    def progress(self, conn: Connection) -> dict[str, int]:
        counted = conn.execute(select(func.count()).select_from(TREND_COUNTED)).scalar_one()
        return {"counted": int(counted), "pending": pending_count(conn)}


def rebuild(
    stage: TrendsStage, *, on_progress: Callable[[int, int], None] | None = None
) -> int:
    """Drop every trend count and recount all classified posts at `stage.bucket`.

    Returns how many posts are counted afterwards. The reset and the first batch
    share one transaction: a daemon still running with the old width then finds
    counts at the new width and refuses, instead of claiming the emptied store
    for its own width. An interrupted rebuild is finished by the trends stage.
    """
    with stage.store.transaction() as conn:
        moved = reset_counts(conn, stage.bucket)
        total = pending_count(conn)
        done = count_batch(conn, bucket=stage.bucket, limit=stage.batch_size)
    logger.info(
        "trend counts reset to %gs buckets; %d alert rules realigned", stage.bucket, moved
    )
    while True:
        if on_progress:
            on_progress(done, total)
        handled = stage.run_batch()
        if not handled:
            break
        done += handled
    with stage.store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(TREND_COUNTED)).scalar_one())


def build_trends_stages(ctx: StageContext) -> list[Stage]:
    """One trends stage; refuses to start when the stored counts were made at another width."""
    with ctx.store.reading() as conn:
        check_width(conn, ctx.config.trends.bucket)
    return [TrendsStage(ctx.store, bucket=ctx.config.trends.bucket)]
