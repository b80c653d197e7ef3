"""The shipped sentiment-minilm artefact on the real packaged encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.classifier import DEFAULT_MODEL, load_classifier
from socialbot.config import load_config
from tests.models.test_classifier import assert_same_wherever_batched

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_artefact_is_small_and_documented() -> None:
    size = sum(p.stat().st_size for p in DEFAULT_MODEL.iterdir())
    assert size < 20 * 2**20
    card = (DEFAULT_MODEL / "MODEL_CARD.md").read_text()
    assert "macro recall" in card and "tweeteval" in card.lower()


@pytest.mark.parametrize("quantize", [False, True])
def test_courier_complaint_is_negative_delivery_on_the_demo_watch(quantize: bool) -> None:
    topics = load_config(REPO / "config.toml").get_watch(None).topics
    classifier = load_classifier(quantize=quantize, num_threads=1)
    got = classifier.predict("the courier left my parcel in the rain again", topics)
    assert got.sentiment == "negative"
    assert got.topics[0].name == "delivery"
    praise = classifier.predict("thank you, the driver was lovely and early", topics)
    assert praise.sentiment == "positive"
    chat = classifier.predict("what a lovely sunset tonight", topics)
    assert [t.name for t in chat.topics] == ["other"]


@pytest.mark.parametrize("quantize", [False, True])
def test_a_posts_sentiment_does_not_depend_on_its_batch(quantize: bool) -> None:
    # Issue 11: int8 picked its activation scale per batch, so a backtest's labels
    # moved with the batch size. The demo stream's posts, alone and among others.
    lines = (REPO / "socialbot" / "data" / "demo_stream.jsonl").read_text().splitlines()
    posts = [json.loads(line)["text"] for line in lines[:400:10]]
    texts, filler = posts[:12], posts[12:]
    filler += ["ok", "the courier never came and nobody answers the phone, " * 12]
    classifier = load_classifier(quantize=quantize, num_threads=2)
    assert_same_wherever_batched(classifier, texts, filler)
