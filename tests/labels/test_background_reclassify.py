"""After a retrain installs a model, the daemon re-does old predictions in the background."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select

from socialbot.daemon import run_until_drained
from socialbot.domain import Prediction, Topic, TopicScore
from socialbot.labels.retrain import install
from socialbot.reclassify import BackgroundReclassify
from socialbot.stages.classify import ClassifyStage, WatchClassifiers, model_stamp
from socialbot.stages.trends import TrendsStage
from socialbot.status import gather_status
from socialbot.store import Store
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS
from socialbot.watching.tables import ALL_TOPICS, TREND_BUCKETS, TREND_COUNTED
from tests.moderation.support import add_post

TOPICS = {"parcelly": [Topic("delivery", "parcels")]}


class FolderModel:
    """A classifier whose answers and version come from its folder's classifier.json, as a
    retrained artefact's do: v1 calls everything negative, v2 positive."""

    def __init__(self, folder: Path) -> None:
        self.version = json.loads((folder / "classifier.json").read_text())["version"]
        self.sentiment = "negative" if self.version == "v1" else "positive"
        self.texts: list[str] = []

    def predict_batch(self, texts: list[str], topics: Sequence[Topic] = (), *,
                      batch_size: int = 64) -> list[Prediction]:
        self.texts.extend(texts)
        scores = {s: 0.8 if s == self.sentiment else 0.1
                  for s in ("negative", "neutral", "positive")}
        return [Prediction(self.sentiment, scores, [TopicScore("delivery", 0.9)], self.version)
                for _ in texts]


def _artefact(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "classifier.json").write_text(json.dumps({"version": version}))
    return folder


def _stages(store: Store, installed: Path, *, batch: int = 3
            ) -> tuple[ClassifyStage, BackgroundReclassify, TrendsStage]:
    classify = ClassifyStage(store, lambda: FolderModel(installed), topics=TOPICS,
                             default_watch="parcelly", stamp=model_stamp(installed))
    return classify, BackgroundReclassify(classify, batch_size=batch), TrendsStage(
        store, bucket=3600)


def _versions(store: Store) -> dict[str, str]:
    with store.reading() as conn:
        return dict(conn.execute(select(POSTS.c.post_id, PREDICTIONS.c.model_version)
                                 .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)).all())


def test_a_retrained_model_redoes_old_predictions_newest_first_in_batches(
    any_store: Store, tmp_path: Path,
) -> None:
    store = any_store
    installed = _artefact(tmp_path / "sentiment-parcelly", "v1")
    classify, background, trends = _stages(store, installed)
    for i in range(7):
        add_post(store, f"p{i}", f"parcel {i} late", sentiment=None, minutes=i)
    classify.run_batch()
    trends.run_batch()
    assert background.run_batch() == 0  # nothing on another model yet

    install(_artefact(tmp_path / "candidate", "v2"), installed)  # what a retrain does
    assert background.run_batch() == 3
    assert _versions(store) == {"p0": "v1", "p1": "v1", "p2": "v1", "p3": "v1",
                                "p4": "v2", "p5": "v2", "p6": "v2"}
    with store.reading() as conn:
        assert background.progress(conn) == {"on current model": 3, "to reclassify": 4,
                                             "parcelly model": "v2"}
    while background.run_batch():
        pass
    assert set(_versions(store).values()) == {"v2"}
    while trends.run_batch():
        pass
    with store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(TREND_COUNTED)).scalar_one() == 7
        per_sentiment = dict(conn.execute(
            select(TREND_BUCKETS.c.sentiment, func.sum(TREND_BUCKETS.c.posts))
            .where(TREND_BUCKETS.c.topic == ALL_TOPICS)
            .group_by(TREND_BUCKETS.c.sentiment)).all())
    assert per_sentiment == {"positive": 7}  # each post once, on the new model only


def test_new_posts_are_classified_before_old_ones_are_redone(
    store: Store, tmp_path: Path,
) -> None:
    installed = _artefact(tmp_path / "model", "v1")
    classify, background, _ = _stages(store, installed)
    add_post(store, "old", "old post", sentiment=None)
    classify.run_batch()
    install(_artefact(tmp_path / "candidate", "v2"), installed)
    add_post(store, "new", "new post", sentiment=None, minutes=5)
    assert background.run_batch() == 0
    assert _versions(store) == {"old": "v1"}
    classify.run_batch()
    assert background.run_batch() == 1
    assert _versions(store) == {"old": "v2", "new": "v2"}


def test_the_daemon_job_and_status_show_the_work(store: Store, tmp_path: Path) -> None:
    installed = _artefact(tmp_path / "model", "v1")
    stages = _stages(store, installed, batch=2)
    for i in range(5):
        add_post(store, f"p{i}", f"post {i}", sentiment=None, minutes=i)
    run_until_drained(stages, store, threading.Event())
    install(_artefact(tmp_path / "candidate", "v2"), installed)
    status = {s["stage"]: s for s in gather_status(store, stages)["stages"]}
    assert status["reclassify"]["to reclassify"] == 0  # the daemon still holds v1 ...
    assert stages[0].model.version == "v2"  # ... until its next batch looks at the folder
    status = {s["stage"]: s for s in gather_status(store, stages)["stages"]}
    assert status["reclassify"]["to reclassify"] == 5
    totals = run_until_drained(stages, store, threading.Event())
    assert totals["reclassify"] == 5
    status = {s["stage"]: s for s in gather_status(store, stages)["stages"]}
    assert status["reclassify"] == {"stage": "reclassify", "kind": "classify",
                                    "on current model": 5, "to reclassify": 0,
                                    "parcelly model": "v2"}
    with store.reading() as conn:
        assert conn.execute(select(func.sum(TREND_BUCKETS.c.posts))
                            .where(TREND_BUCKETS.c.topic == ALL_TOPICS)).scalar_one() == 5


def test_a_new_model_for_one_watch_redoes_that_watch_s_posts_only(
    store: Store, tmp_path: Path,
) -> None:
    parcelly = _artefact(tmp_path / "parcelly", "v1")
    fruitco = _artefact(tmp_path / "fruitco", "f1")
    loaded: list[FolderModel] = []

    def load(folder: Path | None) -> FolderModel:
        assert folder is not None
        loaded.append(FolderModel(folder))
        return loaded[-1]

    # "veggo" names fruitco's folder another way: the two share one model in memory
    models = WatchClassifiers(load, folders={"parcelly": parcelly, "fruitco": fruitco,
                                             "veggo": tmp_path / "x" / ".." / "fruitco"})
    classify = ClassifyStage(store, models, default_watch="parcelly",
                             topics={"parcelly": [], "fruitco": [], "veggo": []})
    background = BackgroundReclassify(classify, batch_size=2)
    for i, watch in enumerate(["parcelly", "fruitco", "parcelly", "veggo", "parcelly"]):
        add_post(store, f"{watch}{i}", f"post {i}", sentiment=None, minutes=i, watch=watch)
    classify.run_batch()
    assert _versions(store) == {"parcelly0": "v1", "fruitco1": "f1", "parcelly2": "v1",
                                "veggo3": "f1", "parcelly4": "v1"}
    assert sorted(m.version for m in loaded) == ["f1", "v1"]

    install(_artefact(tmp_path / "candidate", "v2"), parcelly)  # a retrain of parcelly
    while background.run_batch():
        pass
    assert _versions(store) == {"parcelly0": "v2", "fruitco1": "f1", "parcelly2": "v2",
                                "veggo3": "f1", "parcelly4": "v2"}
    assert [m.version for m in loaded[2:]] == ["v2"]  # parcelly's alone was reloaded
    fruitco_model = next(m for m in loaded if m.version == "f1")
    assert fruitco_model.texts == ["post 1", "post 3"]  # classified once, never redone
    with store.reading() as conn:
        assert background.progress(conn) == {
            "on current model": 5, "to reclassify": 0, "parcelly model": "v2",
            "fruitco model": "f1", "veggo model": "f1"}
