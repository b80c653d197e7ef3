"""Re-running the classifier over stored posts after a topic or model change."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, or_, select

from socialbot.stages.classify import Claimed, ClassifyStage, write_predictions
from socialbot.store.ingest import POSTS


def reclassify(
    stage: ClassifyStage,
    *,
    watch: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Overwrite the predictions of every stored post (of `watch`, if given).

    Walks the posts in primary-key order, one claim-size chunk per transaction,
    so an interrupted run can simply be started again. Returns posts updated.
    """
    store = stage.store
    where = []
    if watch is not None:
        where.append(
            or_(POSTS.c.watch == watch, POSTS.c.watch.is_(None))
            if watch == stage.default_watch
            else POSTS.c.watch == watch
        )
    with store.reading() as conn:
        total = int(
            conn.execute(select(func.count()).select_from(POSTS).where(*where)).scalar_one()
        )
    done = 0
    last_pk = 0
    while True:
        with store.reading() as conn:
            batch = [
                Claimed(r.id, r.text, r.watch)
                for r in conn.execute(
                    select(POSTS.c.id, POSTS.c.text, POSTS.c.watch)
                    .where(POSTS.c.id > last_pk, *where)
                    .order_by(POSTS.c.id)
                    .limit(stage.claim_size)
                )
            ]
        if not batch:
            return done
        predictions = stage.classify(batch)
        with store.transaction() as conn:
            write_predictions(conn, batch, predictions, replace=True)
        done += len(batch)
        last_pk = batch[-1].pk
        if on_progress:
            on_progress(done, total)
