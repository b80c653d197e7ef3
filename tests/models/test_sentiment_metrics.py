"""Metrics and training-argument validation."""

from __future__ import annotations

import pytest

from models.evaluation import confusion_matrix
from models.training import TrainingArguments, make_batches


def test_metrics_from_a_known_confusion_matrix() -> None:
    truth = [0, 0, 0, 1, 1, 2, 2, 2, 2, 2]
    predicted = [0, 0, 1, 1, 2, 2, 2, 2, 2, 0]
    report = confusion_matrix(truth, predicted)
    assert report.confusion == ((2, 1, 0), (0, 1, 1), (1, 0, 4))
    assert report.recall(0) == pytest.approx(2 / 3)
    assert report.precision(2) == pytest.approx(4 / 5)
    assert report.macro_recall == pytest.approx((2 / 3 + 1 / 2 + 4 / 5) / 3)
    assert report.accuracy == pytest.approx(0.7)
    assert report.as_dict()["per_class"]["neutral"]["support"] == 2  # type: ignore[index]


@pytest.mark.parametrize("bad", [
    {"epochs": 0}, {"learning_rate": 2.0}, {"class_weights": (1.0, 1.0)},
    {"lora_r": 0}, {"anchor_weight": -1.0}, {"max_length": 2}, {"batch_size": 0},
])
def test_training_arguments_refuse_nonsense(bad: dict) -> None:
    with pytest.raises(ValueError):
        TrainingArguments(**bad)


def test_batches_cover_every_row_once_with_similar_lengths() -> None:
    import random

    lengths = [random.Random(i).randint(1, 60) for i in range(1000)]
    batches = make_batches(lengths, 32, random.Random(0), chunk=10)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches)
    assert spread / len(batches) < 15  # random batches would spread ~55 tokens


def test_balanced_class_weights_favour_the_rare_sentiment() -> None:
    from models.training import parse_class_weights

    labels = [0] * 10 + [1] * 40 + [2] * 50  # negatives are rare
    neg, neu, pos = parse_class_weights("balanced", labels)
    assert neg / neu == pytest.approx(4.0) and neg / pos == pytest.approx(5.0)
    assert (neg + neu + pos) / 3 == pytest.approx(1.0)  # the learning rate keeps its meaning
    assert parse_class_weights("1.6, 0.8,1", labels) == (1.6, 0.8, 1.0)


@pytest.mark.parametrize("spec", ["1,2", "a,b,c", "balanced-ish"])
def test_bad_class_weights_say_what_is_expected(spec: str) -> None:
    from models.training import parse_class_weights

    with pytest.raises(ValueError, match="expected"):
        parse_class_weights(spec, [0, 1, 2])
