"""Decision offsets: a model that over-calls one class is shifted back, and the artefact
applies the offsets it stores."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from models.calibration import BIAS_KEY, apply_bias, fit_decision_bias, macro_recall

torch = pytest.importorskip("torch")


def test_offsets_undo_a_model_that_over_calls_negative() -> None:
    # neutral posts get 0.5 negative / 0.45 neutral: argmax calls them all negative
    probs = torch.tensor([[0.9, 0.05, 0.05]] * 50 + [[0.5, 0.45, 0.05]] * 50
                         + [[0.05, 0.15, 0.8]] * 50)
    gold = [0] * 50 + [1] * 50 + [2] * 50
    assert macro_recall(probs.argmax(-1), torch.tensor(gold)) == pytest.approx(2 / 3)
    bias = fit_decision_bias(probs, gold)
    assert bias[0] < 0 and bias[1] == 0.0
    shifted = apply_bias(probs, bias)
    assert macro_recall(shifted.argmax(-1), torch.tensor(gold)) == 1.0
    assert torch.allclose(shifted.sum(-1), torch.ones(150))


def test_no_offsets_leave_probabilities_alone() -> None:
    probs = torch.tensor([[0.2, 0.3, 0.5]])
    assert apply_bias(probs, None) is probs
    assert apply_bias(probs, [0.0, 0.0, 0.0]) is probs


def test_the_artefact_applies_the_offsets_it_stores(tiny_artefact: Path, tmp_path: Path) -> None:
    from models.classifier import PostClassifier

    folder = tmp_path / "artefact"
    shutil.copytree(tiny_artefact, folder)
    texts = ["great love it", "awful broken", "a table on tuesday"]
    before = PostClassifier.from_pretrained(folder).probabilities(texts)
    config = json.loads((folder / "classifier.json").read_text())
    config["extra"][BIAS_KEY] = [-50.0, 0.0, -50.0]
    (folder / "classifier.json").write_text(json.dumps(config))
    after = PostClassifier.from_pretrained(folder).probabilities(texts)
    assert torch.allclose(after, apply_bias(before, [-50.0, 0.0, -50.0]), atol=1e-5)
    assert after.argmax(-1).tolist() == [1, 1, 1]  # pushed hard towards neutral
