"""The "needs a reply" head: labels from the complaints corpus, training, the artefact,
and what a prediction and the classify stage carry."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from models.classifier import PostClassifier
from models.reply_need import (
    NEEDS,
    NeedExample,
    asks,
    balance_addressing,
    load_complaints,
    score,
    train_need_head,
)
from tests.models.conftest import toy_rows

torch = pytest.importorskip("torch")

COMPLAINTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "brand" / "complaints.tsv"


def complaints_file(folder: Path) -> Path:
    rows = ["id\tcomplaint\tdomain\ttext"]
    for i in range(40):
        rows.append(f"{i}\t1\tfood\t@shop my order {i} is broken and late, awful")
        rows.append(f"{100 + i}\t0\tfood\t@shop do you open on sunday {i}?")
        rows.append(f"{200 + i}\t0\trandom_tweet\tlovely table meeting on tuesday {i}")
    path = folder / "complaints.tsv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "expected"), [
    ("@shop when do you open", True), ("is it on sale?", True), ("@a @b how much", True),
    ("great service today", False), ("whatever", False), ("however it went", False),
    ("is", False),
])
def test_a_question_by_its_form(text: str, expected: bool) -> None:
    assert asks(text) is expected


def test_complaints_become_three_labels_and_the_hash_split_is_a_partition(tmp_path: Path) -> None:
    path = complaints_file(tmp_path)
    rows = load_complaints(path)
    assert [sum(1 for r in rows if r.label == i) for i in range(3)] == [40, 40, 40]
    train, heldout = load_complaints(f"{path}@train"), load_complaints(f"{path}@heldout")
    assert 0 < len(heldout) < len(train)
    assert sorted(r.text for r in train + heldout) == sorted(r.text for r in rows)
    assert load_complaints(f"{path}@heldout") == heldout  # the same every time


def test_score_counts_complaints_and_replies() -> None:
    report = score([0, 0, 1, 2, 2], [0, 2, 1, 0, 2])
    assert (report.complaint_precision, report.complaint_recall) == (0.5, 0.5)
    assert (report.reply_precision, report.reply_recall) == (round(2 / 3, 4), round(2 / 3, 4))
    assert report.confusion == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def test_a_trained_head_rides_on_the_classifiers_pass(tiny_artefact: Path, tmp_path: Path) -> None:
    folder = tmp_path / "artefact"
    shutil.copytree(tiny_artefact, folder)
    before = PostClassifier.from_pretrained(folder)
    assert before.predict("my order is broken").need is None
    rows = load_complaints(complaints_file(tmp_path))
    train_need_head(folder, rows, data="toy")
    after = PostClassifier.from_pretrained(folder)
    assert after.version == before.version + "+need"
    texts = ["@shop my order 99 is broken and late, awful", "@shop do you open on sunday 7?",
             "lovely table meeting on tuesday 5"]
    predictions = after.predict(texts)
    assert [p.need for p in predictions] == list(NEEDS)
    for p in predictions:
        assert set(p.need_scores) == set(NEEDS)
        assert abs(sum(p.need_scores.values()) - 1) < 1e-3
        assert p.sentiment == before.predict(texts[predictions.index(p)]).sentiment  # untouched


def test_the_need_head_can_be_trained_with_the_encoder(tiny_encoder: Path,
                                                       tmp_path: Path) -> None:
    from models.training import TrainingArguments, train_sentiment

    args = TrainingArguments(base_model=str(tiny_encoder), epochs=4, batch_size=16,
                             learning_rate=1e-2, warmup_steps=10, lora_r=4, lora_alpha=8,
                             class_weights=(1.0, 1.0, 1.0), need_batch_size=8,
                             version="tiny-joint")
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        config = train_sentiment(toy_rows(300), args, tmp_path / "joint",
                                 need_rows=load_complaints(complaints_file(tmp_path)))
    finally:
        torch.set_num_threads(threads)
    assert config.extra["reply_need"]["rows_per_label"] == {"complaint": 40, "question": 40,
                                                            "none": 40}
    classifier = PostClassifier.from_pretrained(tmp_path / "joint")
    assert classifier.version == "tiny-joint+basetopics+need"
    texts = ["@shop my order 7 is broken and late, awful", "@shop do you open on sunday 3?",
             "lovely table meeting on tuesday 9"]
    assert [p.need for p in classifier.predict(texts)] == list(NEEDS)
    assert [p.sentiment for p in classifier.predict(["love it", "hate it"])] == [
        "positive", "negative"]


def test_brand_praise_needs_no_reply_unless_it_asks() -> None:
    from models.datasets import LabelledText
    from models.reply_need import praise_rows

    rows = [LabelledText("love the new app @shop", 2),
            LabelledText("can you restock it? so good", 2),
            LabelledText("my order never came", 0), LabelledText("the shop opens at 9", 1)]
    assert praise_rows(rows) == [NeedExample("love the new app @shop", 2),
                                 NeedExample("can you restock it? so good", 1)]


def test_training_without_rows_is_refused(tiny_artefact: Path) -> None:
    with pytest.raises(ValueError, match="no training rows"):
        train_need_head(tiny_artefact, [])
    assert NeedExample("x", 0).label == 0


@pytest.mark.slow
@pytest.mark.skipif(not COMPLAINTS.exists(), reason="../shared/data/brand/complaints.tsv absent")
def test_the_shipped_head_finds_complaints_to_brands_it_never_saw() -> None:
    from models.reply_need import evaluate_need

    # "auto", as the default config: int8 only where this CPU multiplies int8 faster
    report = evaluate_need(None, load_complaints(f"{COMPLAINTS}@heldout"), quantize="auto")
    assert report.rows > 500
    assert report.complaint_f1 >= 0.75  # the published reference for this corpus: 0.79


def test_the_classify_stage_stores_what_the_post_needs(
    tiny_artefact: Path, tmp_path: Path, store: object
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from socialbot.domain import Page, Post
    from socialbot.stages.classify import ClassifyStage
    from socialbot.store import Store
    from socialbot.store.ingest import write_page
    from socialbot.store.predictions import PREDICTIONS

    assert isinstance(store, Store)
    folder = tmp_path / "artefact"
    shutil.copytree(tiny_artefact, folder)
    train_need_head(folder, load_complaints(complaints_file(tmp_path)))
    model = PostClassifier.from_pretrained(folder)
    posts = [Post("twitter", "1", "@shop my order 3 is broken and late, awful",
                  datetime(2026, 11, 1, tzinfo=UTC))]
    with store.transaction() as conn:
        write_page(conn, Page(posts), source="s", kind="replay", watch="acme")
    stage = ClassifyStage(store, lambda: model, topics={"acme": []},  # type: ignore[arg-type,return-value]
                          default_watch="acme")
    assert stage.run_batch() == 1
    with store.reading() as conn:
        row = conn.execute(select(PREDICTIONS)).one()
    assert row.need == "complaint" and row.p_complaint > 0.5 and row.p_question < 0.5
    assert row.model_version.endswith("+need")


def test_balanced_addressing_leaves_no_cue_in_the_mentions() -> None:
    """Complaints that all open with mentions and praise that never does come out addressed
    about equally often, with what they say untouched."""
    complaints = [f"@user @user my order {i} never came" for i in range(400)]
    praise = [f"delivery {i} was early, lovely courier" for i in range(400)]
    rng = random.Random(0)
    balanced = balance_addressing(complaints + praise, rng)

    def addressed(texts: list[str]) -> float:
        return sum(t.startswith("@user ") for t in texts) / len(texts)

    assert 0.4 < addressed(balanced[:400]) < 0.6 and 0.4 < addressed(balanced[400:]) < 0.6
    assert all(t.removeprefix("@user ") == f"my order {i} never came"
               for i, t in enumerate(balanced[:400]))
    assert all(t.removeprefix("@user ") == f"delivery {i} was early, lovely courier"
               for i, t in enumerate(balanced[400:]))
    assert balance_addressing(["@user"], random.Random(0))[0].endswith("@user")  # not emptied

