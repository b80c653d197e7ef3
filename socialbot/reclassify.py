"""Re-running the classifier over stored posts after a topic or model change: all at once
(`socialbot reclassify`), or in the background as the daemon's `reclassify` job.

Either way a post's prediction is replaced whole, with a new `classified_at`, so the trends
stage takes back what the post added under the old model and counts it anew: every counted
post stays counted once, under one model version.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, exists, func, literal, or_, select

from socialbot.stages.base import Stage
from socialbot.stages.classify import Claimed, ClassifyStage, write_predictions
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS

logger = logging.getLogger(__name__)

#: posts one background batch re-does: small, so new posts wait at most one such batch
BACKGROUND_BATCH = 128


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
    where = [] if watch is None else [_posts_of(watch, stage.default_watch)]
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


class BackgroundReclassify(Stage):
    """Re-does, a bounded batch at a time, the predictions another model version made.

    After a retrain installs a model the stored posts still carry the old one's answers.
    Newest posts go first: new posts arrive with the new model, so the posts on one
    version stay one unbroken stretch of time (everything after a moving point is new),
    and the recent buckets people look at and alert rules judge agree soonest. A batch
    starts only when no post waits for its first classification, and shares the model
    (and its lock) with the classify stage, so new posts are never held up by more than
    one batch.
    """

    kind = "classify"  # runs wherever classification runs (`run --only classify`)
    name = "reclassify"

    def __init__(self, classify: ClassifyStage, *, batch_size: int = BACKGROUND_BATCH) -> None:
        self.classify = classify
        self.store = classify.store
        self.batch_size = batch_size

    def run_batch(self) -> int:
        with self.store.reading() as conn:
            if _new_posts_waiting(conn):
                return 0  # the classify job's work comes first; try again next interval
        # each watch's model, loaded (or reloaded after a retrain) before the claim, so a
        # post is stale only when its own watch's model changed
        versions = {w: self.classify.model_for(w).version for w in self.classify.watches}
        if self.store.dialect == "postgresql":
            with self.store.transaction() as conn:
                batch = self._claim(conn, versions)
                if batch:
                    write_predictions(conn, batch, self.classify.classify(batch),
                                      replace=True)
        else:
            with self.store.reading() as conn:
                batch = self._claim(conn, versions)
            if batch:
                predictions = self.classify.classify(batch)
                with self.store.transaction() as conn:
                    write_predictions(conn, batch, predictions, replace=True)
        if batch:
            logger.info("reclassified %d posts with %s", len(batch),
                        ", ".join(sorted(set(versions.values()))))
        return len(batch)

    def _claim(self, conn: Connection, versions: dict[str, str]) -> list[Claimed]:
        expected = self._expected_version(versions)
        if expected is None:
            return []
        query = (
            select(POSTS.c.id, POSTS.c.text, POSTS.c.watch)
            .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
            .where(PREDICTIONS.c.model_version != expected)
            .order_by(POSTS.c.created_at.desc(), POSTS.c.id.desc())
            .limit(self.batch_size)
        )
        if conn.dialect.name == "postgresql":  # parallel workers take different posts
            query = query.with_for_update(of=PREDICTIONS, skip_locked=True)
        return [Claimed(r.id, r.text, r.watch) for r in conn.execute(query)]

    def _expected_version(self, versions: dict[str, str]) -> ColumnElement[Any] | None:
        """The model version each post's prediction should carry: its watch's. Posts of a
        watch no longer configured are classified with the global model, so they count as
        stale only while that model is in memory (no model is loaded just for them)."""
        fallback = self.classify.models.loaded_version("")
        if not versions and fallback is None:
            return None
        watch = (func.coalesce(POSTS.c.watch, self.classify.default_watch)
                 if self.classify.default_watch else POSTS.c.watch)
        if not versions:
            return literal(fallback)
        return case(versions, value=watch, else_=literal(fallback))

    def progress(self, conn: Connection) -> dict[str, int | str]:
        """Posts on their watch's current model and posts still to re-do, and each watch's
        model version.

        A watch's current model is the loaded one; in another process (`socialbot status`)
        it is the one that wrote the watch's newest prediction, which is the running
        daemon's as soon as it has classified or reclassified any post of the watch.
        """
        versions = {}
        for watch in self.classify.watches:
            version = self.classify.loaded_version(watch) or _newest_version(
                conn, _posts_of(watch, self.classify.default_watch))
            if version is not None:
                versions[watch] = version
        expected = self._expected_version(versions)
        if expected is None:
            return {}
        behind = int(conn.execute(
            select(func.count()).select_from(PREDICTIONS.join(
                POSTS, PREDICTIONS.c.post_pk == POSTS.c.id))
            .where(PREDICTIONS.c.model_version != expected)).scalar_one())
        total = int(conn.execute(select(func.count()).select_from(PREDICTIONS)).scalar_one())
        return {"on current model": total - behind, "to reclassify": behind,
                **{f"{watch} model": version for watch, version in versions.items()}}


def _posts_of(watch: str, default_watch: str | None) -> ColumnElement[bool]:
    """The posts counted under `watch`: posts without one belong to the default watch."""
    if watch == default_watch:
        return or_(POSTS.c.watch == watch, POSTS.c.watch.is_(None))
    return POSTS.c.watch == watch


def _newest_version(conn: Connection, posts: ColumnElement[bool]) -> str | None:
    return conn.execute(
        select(PREDICTIONS.c.model_version)
        .join(POSTS, PREDICTIONS.c.post_pk == POSTS.c.id)
        .where(posts)
        .order_by(PREDICTIONS.c.classified_at.desc(), PREDICTIONS.c.post_pk.desc())
        .limit(1)).scalar_one_or_none()


def _new_posts_waiting(conn: Connection) -> bool:
    unclassified = (select(POSTS.c.id)
                    .where(~exists().where(PREDICTIONS.c.post_pk == POSTS.c.id)))
    return conn.execute(select(unclassified.exists())).scalar_one()
