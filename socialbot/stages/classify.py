"""The classify stage: unclassified posts -> sentiment and topics, in claimed batches."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Select, delete, func, select

from socialbot.config import ClassifierConfig, Config
from socialbot.domain import Prediction, Topic
from socialbot.grounding.vectors import pack
from socialbot.labels.learned_topics import LearningTopics
from socialbot.stages.base import Stage, StageContext
from socialbot.stages.watch_classifiers import Classifier, WatchClassifiers, model_stamp
from socialbot.store import Store
from socialbot.store.dialect import insert_ignoring_conflicts
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
from socialbot.store.types import utcnow

logger = logging.getLogger(__name__)

OTHER = "other"


def load_configured_classifier(settings: ClassifierConfig, base: Config) -> Classifier:
    """The `[classifier] model` (else the shipped one); imports torch only when called."""
    return load_classifier_folder(settings, base.classifier_folder(None))


def load_classifier_folder(settings: ClassifierConfig, folder: Path | None) -> Classifier:
    """The classifier at `folder` (None: the shipped one) with the `[classifier]` settings,
    which every watch shares; imports torch only when called."""
    from models.classifier import load_classifier

    return load_classifier(
        folder,
        device=settings.device or None,
        quantize=settings.quantize,
        num_threads=settings.threads,
        labels=settings.labels or None,
        topic_threshold=settings.topic_threshold,
        topic_margin=settings.topic_margin,
        topic_encoder=settings.topic_encoder,
    )


@dataclass(frozen=True, slots=True)
class Claimed:
    pk: int
    text: str
    watch: str | None


def prediction_rows(
    pk: int, watch: str | None, p: Prediction
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """The `predictions` row and `post_topics` rows for one post."""
    topics = p.topics or []
    row: dict[str, object] = {
        "post_pk": pk,
        "sentiment": p.sentiment,
        "p_negative": p.scores["negative"],
        "p_neutral": p.scores["neutral"],
        "p_positive": p.scores["positive"],
        "topics": json.dumps([{"name": t.name, "score": round(t.score, 4)} for t in topics]),
        "model_version": p.model_version,
        "need": p.need,
        "p_complaint": p.need_scores.get("complaint"),
        "p_question": p.need_scores.get("question"),
        "embedding": pack(p.embedding),
        "watch": watch,
        "classified_at": utcnow(),
    }
    topic_rows = [{"post_pk": pk, "topic": t.name, "score": t.score} for t in topics]
    if not topic_rows:  # every post counts somewhere in per-topic trends
        topic_rows = [{"post_pk": pk, "topic": OTHER, "score": 0.0}]
    return row, topic_rows


def write_predictions(
    conn: Connection, batch: Sequence[Claimed], predictions: Sequence[Prediction], *, replace: bool
) -> None:
    """Store predictions; `replace` overwrites earlier ones (reclassify)."""
    rows: list[dict[str, object]] = []
    topic_rows: list[dict[str, object]] = []
    for post, prediction in zip(batch, predictions, strict=True):
        row, topics = prediction_rows(post.pk, post.watch, prediction)
        rows.append(row)
        topic_rows.extend(topics)
    if replace:
        pks = [p.pk for p in batch]
        conn.execute(delete(POST_TOPICS).where(POST_TOPICS.c.post_pk.in_(pks)))
        conn.execute(delete(PREDICTIONS).where(PREDICTIONS.c.post_pk.in_(pks)))
    conn.execute(insert_ignoring_conflicts(conn, PREDICTIONS), rows)
    conn.execute(insert_ignoring_conflicts(conn, POST_TOPICS), topic_rows)


class ClassifyStage(Stage):
    """Claims posts without a prediction, classifies them, writes the results.

    On PostgreSQL the batch is claimed with `FOR UPDATE SKIP LOCKED`, so many
    workers share the backlog without overlap. On SQLite (one machine) the model
    runs outside any transaction so ingest is never blocked behind inference;
    inserts ignore posts another run finished first, so the result is the same.
    """

    kind = "classify"
    name = "classify"

    def __init__(
        self,
        store: Store,
        load: WatchClassifiers | Callable[[], Classifier],
        *,
        topics: dict[str, list[Topic]],
        default_watch: str | None,
        claim_size: int = 512,
        batch_size: int = 64,
        learn_from_labels: bool = True,
        stamp: Callable[[], object] | None = None,
    ) -> None:
        """`load` is each watch's model (`WatchClassifiers`), or a loader of one model for
        every watch, reloaded when `stamp` changes."""
        self.store = store
        self.models = (load if isinstance(load, WatchClassifiers)
                       else WatchClassifiers.single(load, stamp=stamp))
        #: the configured topics; `topics_now` adds what people's topic labels taught them
        self.topics = topics
        self.learning = (LearningTopics(topics, default_watch=default_watch)
                         if learn_from_labels else None)
        self.default_watch = default_watch
        self.claim_size = claim_size
        self.batch_size = batch_size

    @property
    def watches(self) -> list[str]:
        """The configured watches (the default one first when it is not among them)."""
        named = list(self.topics)
        if self.default_watch and self.default_watch not in named:
            named.insert(0, self.default_watch)
        return named

    def model_for(self, watch: str | None) -> Classifier:
        """The model of `watch` (posts without one: the default watch's), loaded on first
        use and again when its folder is replaced."""
        return self.models.for_watch(watch or self.default_watch)

    @property
    def model(self) -> Classifier:
        """The default watch's model (the only one when every watch shares it)."""
        return self.model_for(None)

    def loaded_version(self, watch: str | None = None) -> str | None:
        """The version of `watch`'s model in memory (None before a batch loads it)."""
        return self.models.loaded_version(watch or self.default_watch)

    def _claim_query(self, limit: int) -> Select[tuple[int, str, str | None]]:
        query = (
            select(POSTS.c.id, POSTS.c.text, POSTS.c.watch)
            .outerjoin(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
            .where(PREDICTIONS.c.post_pk.is_(None))
            .order_by(POSTS.c.id)
            .limit(limit)
        )
        if self.store.dialect == "postgresql":
            query = query.with_for_update(of=POSTS, skip_locked=True)
        return query

    def run_batch(self) -> int:
        if self.store.dialect == "postgresql":
            with self.store.transaction() as conn:
                batch = [
                    Claimed(r.id, r.text, r.watch)
                    for r in conn.execute(self._claim_query(self.claim_size))
                ]
                if batch:
                    write_predictions(conn, batch, self.classify(batch), replace=False)
            return len(batch)
        with self.store.reading() as conn:
            batch = [
                Claimed(r.id, r.text, r.watch)
                for r in conn.execute(self._claim_query(self.claim_size))
            ]
        if not batch:
            return 0
        predictions = self.classify(batch)
        with self.store.transaction() as conn:
            write_predictions(conn, batch, predictions, replace=False)
        return len(batch)

    def classify(self, batch: Sequence[Claimed]) -> list[Prediction]:
        """Predict for `batch`, each post with its own watch's model and topics, in input
        order."""
        by_watch: dict[str | None, list[int]] = defaultdict(list)
        for i, post in enumerate(batch):
            by_watch[post.watch or self.default_watch].append(i)
        out: list[Prediction | None] = [None] * len(batch)
        every_topic = self.topics_now()
        with self.models.lock:
            for watch, indexes in by_watch.items():
                model = self.model_for(watch)
                topics = every_topic.get(watch or "", [])
                texts = [batch[i].text for i in indexes]
                for i, p in zip(
                    indexes,
                    model.predict_batch(texts, topics, batch_size=self.batch_size),
                    strict=True,
                ):
                    out[i] = p
        return [p for p in out if p is not None]

    def topics_now(self) -> dict[str, list[Topic]]:
        """Each watch's topics, with the examples people's topic labels added."""
        if self.learning is None:
            return self.topics
        with self.store.reading() as conn:
            return self.learning.current(conn)

    def progress(self, conn: Connection) -> dict[str, int]:
        total = conn.execute(select(func.count()).select_from(POSTS)).scalar_one()
        done = conn.execute(select(func.count()).select_from(PREDICTIONS)).scalar_one()
        return {"classified": int(done), "pending": int(total) - int(done)}


def build_classify_stages(ctx: StageContext) -> list[Stage]:
    config = ctx.config
    settings = config.classifier
    if not settings.enabled:
        return []
    from socialbot.reclassify import BackgroundReclassify

    classify = ClassifyStage(
        ctx.store,
        ctx.classifiers(),
        topics={w.name: w.topics for w in config.watch},
        default_watch=config.watch[0].name if config.watch else None,
        claim_size=settings.claim_size,
        batch_size=settings.batch_size,
    )
    return [classify, BackgroundReclassify(classify)]


__all__ = ["Claimed", "Classifier", "ClassifyStage", "WatchClassifiers",
           "build_classify_stages", "load_classifier_folder", "load_configured_classifier",
           "model_stamp", "prediction_rows", "write_predictions"]
