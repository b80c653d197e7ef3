"""The shipped sentiment-minilm artefact on the real packaged encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.classifier import DEFAULT_MODEL, load_classifier
from socialbot.config import load_config

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
