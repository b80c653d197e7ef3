"""PostClassifier on tiny random encoders: training round-trip, batching, swapping."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from models.artefact import ArtefactError
from models.classifier import PostClassifier, load_classifier
from socialbot.domain import SENTIMENTS, Prediction, Topic
from tests.models.conftest import NEGATIVE, POSITIVE, toy_rows

TOPICS = [
    Topic("delivery", "parcels, couriers and late shipping", ("my parcel is late",)),
    Topic("billing", "charges, refunds and invoices", ("I was charged twice",)),
]


def test_trained_tiny_model_learns_cue_words(tiny_artefact: Path) -> None:
    classifier = load_classifier(tiny_artefact)
    texts = [f"on tuesday {w} report" for w in NEGATIVE + POSITIVE]
    predicted = [p.sentiment for p in classifier.predict(texts)]
    expected = ["negative"] * len(NEGATIVE) + ["positive"] * len(POSITIVE)
    hits = sum(p == e for p, e in zip(predicted, expected, strict=True))
    assert hits >= 8, predicted


def test_save_load_round_trip_predicts_the_same(tiny_artefact: Path, tmp_path: Path) -> None:
    first = load_classifier(tiny_artefact)
    first.save_pretrained(tmp_path / "copy")
    second = PostClassifier.from_pretrained(tmp_path / "copy")
    texts = [r.text for r in toy_rows(20, seed=3)]
    a = first.predict_batch(texts, TOPICS)
    b = second.predict_batch(texts, TOPICS)
    assert a == b
    assert second.version == "tiny-test+basetopics"  # topics on the frozen base


def test_predict_shape_follows_input(tiny_artefact: Path) -> None:
    classifier = load_classifier(tiny_artefact)
    one = classifier.predict("I hate this", TOPICS)
    many = classifier.predict(["I hate this", "love it"], TOPICS)
    assert isinstance(one, Prediction)
    assert isinstance(many, list) and len(many) == 2
    assert set(one.scores) == set(SENTIMENTS)
    assert sum(one.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert one.sentiment == max(one.scores, key=one.scores.__getitem__)
    assert one.topics and one.model_version == "tiny-test+basetopics"
    assert classifier.predict_batch([], TOPICS) == []


@pytest.mark.parametrize("batch_size", [1, 2, 7, 64])
def test_predictions_do_not_depend_on_batch_composition(
    tiny_artefact: Path, batch_size: int
) -> None:
    classifier = load_classifier(tiny_artefact)
    texts = [r.text for r in toy_rows(40, seed=5)] + ["a much longer text " * 8, "ok"]
    reference = classifier.predict_batch(texts, TOPICS, batch_size=len(texts))
    order = list(range(len(texts)))
    random.Random(batch_size).shuffle(order)
    shuffled = classifier.predict_batch([texts[i] for i in order], TOPICS, batch_size=batch_size)
    for position, i in enumerate(order):
        got, want = shuffled[position], reference[i]
        assert got.sentiment == want.sentiment
        for name in SENTIMENTS:
            assert got.scores[name] == pytest.approx(want.scores[name], abs=2e-4)
        assert [t.name for t in got.topics] == [t.name for t in want.topics]


def test_int8_quantisation_keeps_predictions_close(tiny_artefact: Path) -> None:
    plain = load_classifier(tiny_artefact)
    quantized = load_classifier(tiny_artefact, quantize=True)
    texts = [r.text for r in toy_rows(30, seed=7)]
    a, b = plain.predict_batch(texts), quantized.predict_batch(texts)
    assert quantized.version == "tiny-test+basetopics+int8row"
    agree = sum(x.sentiment == y.sentiment for x, y in zip(a, b, strict=True))
    assert agree >= 27


def batch_settings(texts: list[str], filler: list[str]) -> list[tuple[list[str], int]]:
    """`texts` classified alone, among longer and shorter posts, reordered, in batches of
    several sizes: (texts to classify, batch size); `texts` are all among each list."""
    mixed = filler[: len(filler) // 2] + texts + filler[len(filler) // 2 :]
    shuffled = mixed[:]
    random.Random(11).shuffle(shuffled)
    return [(mixed, 64), (mixed, 3), (shuffled, 7), (shuffled[::-1], 1), (texts[::-1], 2)]


def assert_same_wherever_batched(classifier: PostClassifier, texts: list[str],
                                 filler: list[str]) -> None:
    alone = {t: classifier.probabilities([t])[0] for t in texts}
    for batch, batch_size in batch_settings(texts, filler):
        probs = classifier.probabilities(batch, batch_size=batch_size)
        for text, row in zip(batch, probs, strict=True):
            if text in alone:
                assert int(row.argmax()) == int(alone[text].argmax()), (text, batch_size)
                assert float((row - alone[text]).abs().max()) <= 1e-6, (text, batch_size)


@pytest.mark.parametrize("quantize", [False, True])
def test_a_posts_sentiment_does_not_depend_on_its_batch(
    tiny_artefact: Path, quantize: bool
) -> None:
    classifier = load_classifier(tiny_artefact, quantize=quantize)
    texts = [r.text for r in toy_rows(12, seed=9)]
    filler = ["ok", "love it", "awful " * 60, "the train report on tuesday " * 9, "hate"]
    assert_same_wherever_batched(classifier, texts, filler)


def test_swapped_hf_model_needs_a_label_mapping(
    tiny_sequence_classifier: Path, tiny_encoder: Path
) -> None:
    with pytest.raises(ArtefactError, match="LABEL_0"):
        load_classifier(tiny_sequence_classifier, topic_model=str(tiny_encoder))


def test_swapped_hf_model_predicts_with_its_mapping(
    tiny_sequence_classifier: Path, tiny_encoder: Path
) -> None:
    mapping = {"LABEL_0": "positive", "LABEL_1": "negative", "LABEL_2": "neutral"}
    classifier = PostClassifier.from_pretrained(tiny_sequence_classifier, labels=mapping,
                                                topic_model=str(tiny_encoder))
    texts = ["the courier was late", "thanks, great service", "tuesday"]
    predictions = classifier.predict_batch(texts, TOPICS, batch_size=2)
    assert [p.model_version for p in predictions] == [f"hf:{tiny_sequence_classifier.name}"] * 3
    # The mapping reorders the model's outputs: its LABEL_0 column is our "positive".
    import torch

    ids = classifier.backend.tokenizer(["tuesday"], return_tensors="pt")
    with torch.inference_mode():
        raw = classifier.backend.model(**ids).logits.softmax(-1)[0]
    assert predictions[2].scores["positive"] == pytest.approx(float(raw[0]), abs=1e-4)
    assert all(p.topics for p in predictions)


def test_a_folder_that_is_no_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtefactError, match="neither"):
        load_classifier(tmp_path)


def test_topics_come_from_the_frozen_base_encoder_unless_shared(tiny_artefact: Path) -> None:
    """Fine-tuning moves the encoder's sentence space; topic examples are written for
    the base's. By default a post's topic embedding is the untouched base encoder's
    (what the base alone would give), and "shared" takes the fine-tuned pass's."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from models.artefact import ArtefactConfig, resolve_base_model
    from models.encoders import mean_embedding

    texts = ["my parcel is late again", "charged twice for one order"]
    base_dir = resolve_base_model(ArtefactConfig.load(tiny_artefact).base_model)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        expected = mean_embedding(AutoModel.from_pretrained(base_dir).eval(),
                                  batch["input_ids"], batch["attention_mask"])
    base = load_classifier(tiny_artefact)
    shared = load_classifier(tiny_artefact, topic_encoder="shared")
    assert torch.allclose(base.embed(texts), expected, atol=1e-5)
    assert not torch.allclose(shared.embed(texts), expected, atol=1e-3)
    assert [p.embedding for p in base.predict_batch(texts, TOPICS)] == [
        pytest.approx(row, abs=1e-4) for row in expected.tolist()]
    assert shared.version == "tiny-test" and base.version == "tiny-test+basetopics"


def test_auto_quantisation_follows_the_cpus_int8_speed(
        tiny_artefact: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`quantize = "auto"` quantises only where int8 products beat float32: on an AVX2-only
    CPU they are ~40x slower, and the default would make classifying ~35x slower."""
    import models.classifier

    monkeypatch.setattr(models.classifier, "resolve_quantize",
                        lambda q: q is True or (q == "auto" and fast))
    fast = True
    assert load_classifier(tiny_artefact, quantize="auto").version.endswith("+int8row")
    fast = False
    assert not load_classifier(tiny_artefact, quantize="auto").version.endswith("+int8row")
    assert load_classifier(tiny_artefact, quantize=True).version.endswith("+int8row")


def test_the_int8_probe_answers_and_is_asked_once() -> None:
    from models.int8 import int8_is_faster, resolve_quantize

    int8_is_faster.cache_clear()
    answer = resolve_quantize("auto")
    assert isinstance(answer, bool) and int8_is_faster.cache_info().misses == 1
    assert resolve_quantize("auto") is answer and int8_is_faster.cache_info().hits >= 1
    assert resolve_quantize(False) is False and resolve_quantize(True) is True


def test_the_int8_probe_times_one_thread_and_gives_the_others_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With two threads on a busy machine each product waits for both to be scheduled,
    # and that wait decided the answer: fp32 in 6 of 15 starts on a VNNI CPU under load.
    import torch

    from models.int8 import int8_is_faster

    seen: list[int] = []
    real = torch._int_mm

    def counting(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        seen.append(torch.get_num_threads())
        return real(a, b)

    monkeypatch.setattr(torch, "_int_mm", counting)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        int8_is_faster.cache_clear()
        int8_is_faster()
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
        int8_is_faster.cache_clear()


def test_the_int8_probe_stops_early_where_int8_is_clearly_slower(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    import torch

    from models.int8 import int8_is_faster

    calls: list[None] = []

    def slow(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # an AVX2-only CPU
        calls.append(None)
        time.sleep(0.02)
        return (a.float() @ b.float()).to(torch.int32)

    monkeypatch.setattr(torch, "_int_mm", slow)
    int8_is_faster.cache_clear()
    try:
        assert int8_is_faster() is False and len(calls) == 3
    finally:
        int8_is_faster.cache_clear()
