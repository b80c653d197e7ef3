"""The demo stream's own ground truth, as a stand-in for the classifier in tests.

The generator (scripts/make_demo_stream.py) knows each post's kind and topic; this
module replays its deterministic build and writes predictions from it, so the
detector can be validated on the demo before (and independently of) the model.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select

from socialbot.domain import SENTIMENTS, Prediction, TopicScore
from socialbot.stages.base import Stage, StageContext
from socialbot.stages.classify import Claimed, write_predictions
from socialbot.store import Store
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS

PROBS = {"negative": (0.9, 0.08, 0.02), "neutral": (0.1, 0.8, 0.1), "positive": (0.02, 0.08, 0.9)}


@lru_cache(maxsize=1)
def _items():  # type: ignore[no-untyped-def]
    """Every demo post as the generator planned it (deterministic; built once per run)."""
    from scripts.make_demo_stream import Builder

    return tuple(Builder().build())


@lru_cache(maxsize=1)
def truth() -> dict[tuple[str, str], tuple[str, str | None]]:
    """(platform, id) -> (sentiment, topic or None) for every demo post."""
    return {(it.platform, it.id): (it.sentiment, it.topic) for it in _items()}


@lru_cache(maxsize=1)
def kinds() -> dict[tuple[str, str], tuple[str, str | None]]:
    """(platform, id) -> (kind, topic or None): complaint, question, praise, noise, ..."""
    return {(it.platform, it.id): (it.kind, it.topic) for it in _items()}


def noisy(labels: dict[tuple[str, str], tuple[str, str | None]], error: float, seed: int):  # type: ignore[no-untyped-def]
    """The ground truth with `error` of sentiments and of topics replaced at random,
    roughly what a classifier with (1 - error) accuracy would give."""
    import random

    rng = random.Random(seed)
    topics = [None, "delivery", "billing", "product_quality", "customer_service", "app_bugs"]
    out = {}
    for key in sorted(labels):
        sentiment, topic = labels[key]
        if rng.random() < error:
            sentiment = rng.choice([s for s in PROBS if s != sentiment])
        if rng.random() < error:
            topic = rng.choice([t for t in topics if t != topic])
        out[key] = (sentiment, topic)
    return out


def label_posts(
    store: Store, *, version: str = "demo-truth", error: float = 0.0, seed: int = 0
) -> int:
    """Write a prediction for every stored post without one, from the ground truth
    (with `error` of the labels scrambled, to mimic an imperfect classifier)."""
    labels = noisy(truth(), error, seed) if error else truth()
    with store.transaction() as conn:
        rows = conn.execute(
            select(POSTS.c.id, POSTS.c.platform, POSTS.c.post_id, POSTS.c.watch)
            .outerjoin(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
            .where(PREDICTIONS.c.post_pk.is_(None))
        ).all()
        if not rows:
            return 0
        batch, predictions = [], []
        for pk, platform, post_id, watch in rows:
            sentiment, topic = labels.get((platform, post_id), ("neutral", None))
            batch.append(Claimed(pk, "", watch))
            predictions.append(
                Prediction(
                    sentiment=sentiment,
                    scores=dict(zip(SENTIMENTS, PROBS[sentiment], strict=True)),
                    topics=[TopicScore(topic, 0.9)] if topic else [],
                    model_version=version,
                )
            )
        write_predictions(conn, batch, predictions, replace=False)
    return len(rows)


class TruthClassifyStage(Stage):
    """A classify stage that knows the answers (demo stream only)."""

    kind = "classify"
    name = "classify"

    #: set by tests: the share of labels to scramble, and the seed
    error: float = 0.0
    seed: int = 0

    def __init__(self, store: Store) -> None:
        self.store = store

    def run_batch(self) -> int:
        return label_posts(self.store, error=self.error, seed=self.seed)


def build_truth_stages(ctx: StageContext) -> list[Stage]:
    return [TruthClassifyStage(ctx.store)]
