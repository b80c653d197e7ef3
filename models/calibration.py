"""Calibrate the sentiment decision: per-class offsets on the log-probabilities.

Training with class weights (or on data whose class mix differs from the posts a brand
sees) shifts where the model draws its lines; the shipped one called too much negative
(TweetEval neutral recall 0.62). Rather than retrain with other weights, the decision is
shifted after training: ``argmax(log p + b)`` with `b` chosen on held-out rows of the
training data to maximise macro-averaged recall (each class's recall weighs the same).
Only two numbers are fitted (neutral's offset stays 0), so a few thousand rows pin them
down; the offsets are stored in ``classifier.json`` and applied at every prediction.

Measured on the shipped recipe (MODEL_CARD.md) it did not carry over: offsets fitted on
the training data's held-out rows (mostly SemEval, some SXSW) helped SXSW and cost
TweetEval and Apple, so `train sentiment --calibrate` is opt-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from models.datasets import LabelledText

#: ``classifier.json`` ``extra`` key holding the offsets, in SENTIMENTS order.
BIAS_KEY = "decision_bias"


def macro_recall(predicted: torch.Tensor, gold: torch.Tensor, classes: int = 3) -> float:
    recalls = [
        float((predicted[gold == k] == k).float().mean()) for k in range(classes)
        if bool((gold == k).any())
    ]
    return sum(recalls) / len(recalls) if recalls else 0.0


def fit_decision_bias(
    probs: torch.Tensor, gold: Sequence[int], *, span: float = 1.5, step: float = 0.05
) -> tuple[float, float, float]:
    """Offsets (negative, 0, positive) on log `probs` ([N, 3], SENTIMENTS order) that
    maximise macro recall on `gold`; ties go to the smallest shift."""
    labels = torch.tensor(list(gold))
    logp = probs.float().clamp_min(1e-9).log()
    grid = torch.arange(-span, span + step / 2, step).tolist()
    best_key: tuple[float, float] = (macro_recall(logp.argmax(-1), labels), 0.0)
    best = (0.0, 0.0, 0.0)
    for neg in grid:
        for pos in grid:
            shift = torch.tensor([neg, 0.0, pos])
            key = (macro_recall((logp + shift).argmax(-1), labels), -(abs(neg) + abs(pos)))
            if key > best_key:
                best_key, best = key, (round(neg, 4), 0.0, round(pos, 4))
    return best


def apply_bias(probs: torch.Tensor, bias: Sequence[float] | None) -> torch.Tensor:
    """Probabilities after the decision offsets (unchanged without any)."""
    if not bias or not any(bias):
        return probs
    shift = torch.tensor(list(bias), dtype=torch.float32, device=probs.device)
    return (probs.float().clamp_min(1e-9).log() + shift).softmax(-1)


def calibrate_artefact(folder: str | Path, rows: Sequence[LabelledText], *,
                       quantize: bool = True) -> tuple[float, float, float]:
    """Fit the offsets on `rows` (held out from training) with the model as it will run
    (int8 on CPU by default) and store them in the artefact's ``classifier.json``."""
    from models.artefact import ArtefactConfig
    from models.classifier import PostClassifier

    folder = Path(folder)
    config = ArtefactConfig.load(folder)
    config.extra.pop(BIAS_KEY, None)  # fit on the raw decision
    config.save(folder)
    classifier = PostClassifier.from_pretrained(folder, quantize=quantize)
    bias = fit_decision_bias(classifier.probabilities([r.text for r in rows]),
                             [r.label for r in rows])
    config.extra[BIAS_KEY] = list(bias)
    config.save(folder)
    return bias
