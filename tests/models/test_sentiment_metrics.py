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
