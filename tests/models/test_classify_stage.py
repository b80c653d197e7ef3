"""The classify stage on a tiny model: restartable, idempotent, topics editable."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from models.classifier import PostClassifier, load_classifier
from socialbot.domain import Page, Post, Prediction, Topic
from socialbot.reclassify import reclassify
from socialbot.stages.classify import ClassifyStage
from socialbot.store import Store
from socialbot.store.ingest import write_page
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS

TOPICS = [
    Topic("delivery", "parcels arriving late or lost", ("my parcel is late",)),
    Topic("billing", "charges and refunds", ("charged twice",)),
]


@pytest.fixture(scope="module")
def tiny(tiny_artefact: Path) -> PostClassifier:
    return load_classifier(tiny_artefact, topic_threshold=-1.0)  # every post gets its best topic


def _ingest(store: Store, n: int, watch: str = "acme") -> None:
    posts = [
        Post(
            "twitter",
            str(i),
            f"post {i}: the parcel was {'great' if i % 2 else 'awful'}",
            datetime(2026, 11, 1, tzinfo=UTC),
        )
        for i in range(n)
    ]
    with store.transaction() as conn:
        write_page(conn, Page(posts), source="s", kind="replay", watch=watch)


def _stage(
    store: Store, model: object, topics: list[Topic] = TOPICS, claim: int = 16
) -> ClassifyStage:
    return ClassifyStage(
        store,
        lambda: model,
        topics={"acme": topics},
        default_watch="acme",  # type: ignore[arg-type,return-value]
        claim_size=claim,
        batch_size=8,
    )


def _predictions(store: Store) -> dict[int, tuple[str, str]]:
    with store.reading() as conn:
        return {r.post_pk: (r.sentiment, r.topics) for r in conn.execute(select(PREDICTIONS))}


def test_every_post_is_classified_once_with_the_model_version(
    store: Store, tiny: PostClassifier
) -> None:
    _ingest(store, 50)
    stage = _stage(store, tiny)
    handled = []
    while n := stage.run_batch():
        handled.append(n)
    assert handled == [16, 16, 16, 2]
    with store.reading() as conn:
        versions = set(conn.execute(select(PREDICTIONS.c.model_version)).scalars())
        assert stage.progress(conn) == {"classified": 50, "pending": 0}
    assert versions == {tiny.version}
    assert stage.run_batch() == 0  # idempotent: nothing left, nothing redone


class DiesOnSecondBatch:
    """The real model, killed half-way through the run."""

    def __init__(self, model: PostClassifier) -> None:
        self.model, self.version, self.calls = model, model.version, 0

    def predict_batch(
        self, texts: list[str], topics: Sequence[Topic] = (), *, batch_size: int = 64
    ) -> list[Prediction]:
        self.calls += 1
        if self.calls == 2:
            raise KeyboardInterrupt("killed mid-batch")
        return self.model.predict_batch(texts, topics, batch_size=batch_size)


def test_a_kill_mid_batch_loses_nothing_and_redoes_nothing_twice(
    store: Store, tiny: PostClassifier
) -> None:
    _ingest(store, 40)
    with pytest.raises(KeyboardInterrupt):
        stage = _stage(store, DiesOnSecondBatch(tiny))
        while stage.run_batch():
            pass
    assert len(_predictions(store)) == 16  # the first batch committed, the second not at all
    restarted = _stage(store, tiny)
    while restarted.run_batch():
        pass
    whole_run = _predictions(store)
    assert len(whole_run) == 40

    fresh_db_stage = _stage(store, tiny)
    reclassify(fresh_db_stage)
    assert _predictions(store) == whole_run  # same answers as an uninterrupted run


def test_editing_a_topic_then_reclassify_updates_past_posts(
    store: Store, tiny: PostClassifier
) -> None:
    _ingest(store, 30)
    stage = _stage(store, tiny)
    while stage.run_batch():
        pass
    edited = [Topic("shipping", "parcels arriving late or lost", ("my parcel is late",)), TOPICS[1]]
    updated = reclassify(_stage(store, tiny, edited), watch="acme")
    assert updated == 30
    with store.reading() as conn:
        names = set(conn.execute(select(POST_TOPICS.c.topic)).scalars())
        count = conn.execute(select(func.count()).select_from(PREDICTIONS)).scalar_one()
    assert "delivery" not in names and "shipping" in names
    assert count == 30
    stored = {t["name"] for _, topics in _predictions(store).values() for t in json.loads(topics)}
    assert "delivery" not in stored


def test_each_posts_embedding_is_kept_compactly_for_finding_similar_posts(
    store: Store, tiny: PostClassifier
) -> None:
    from socialbot.grounding.vectors import unpack

    _ingest(store, 3)
    stage = _stage(store, tiny)
    while stage.run_batch():
        pass
    with store.reading() as conn:
        rows = conn.execute(
            select(PREDICTIONS.c.post_pk, PREDICTIONS.c.embedding).order_by(PREDICTIONS.c.post_pk)
        ).all()
    fresh = tiny.predict_batch([f"post {i}: the parcel was {'great' if i % 2 else 'awful'}"
                                for i in range(3)], TOPICS)
    width = len(fresh[0].embedding)
    assert width > 0 and all(len(r.embedding) == 2 * width for r in rows)  # float16
    stored = unpack([r.embedding for r in rows])
    expected = unpack([np.asarray(p.embedding, dtype="<f2").tobytes() for p in fresh])
    assert np.allclose(stored, expected, atol=1e-3)
    assert np.allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-3)
