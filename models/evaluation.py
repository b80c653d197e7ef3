"""Score a sentiment classifier on labelled rows: per-class P/R/F1, macro recall.

Macro-averaged recall is TweetEval's headline metric for sentiment, so it is the
number the model card and `socialbot eval sentiment` lead with.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from models.datasets import LabelledText
from socialbot.domain import SENTIMENTS

if TYPE_CHECKING:
    from rich.console import Console

    from models.classifier import PostClassifier


@dataclass(frozen=True, slots=True)
class SentimentReport:
    """Confusion matrix (rows: true label, columns: predicted) and derived metrics."""

    confusion: tuple[tuple[int, ...], ...]
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(map(sum, self.confusion))

    def precision(self, k: int) -> float:
        predicted = sum(row[k] for row in self.confusion)
        return self.confusion[k][k] / predicted if predicted else 0.0

    def recall(self, k: int) -> float:
        actual = sum(self.confusion[k])
        return self.confusion[k][k] / actual if actual else 0.0

    def f1(self, k: int) -> float:
        p, r = self.precision(k), self.recall(k)
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def macro_recall(self) -> float:
        return sum(self.recall(k) for k in range(len(self.confusion))) / len(self.confusion)

    @property
    def macro_f1(self) -> float:
        return sum(self.f1(k) for k in range(len(self.confusion))) / len(self.confusion)

    @property
    def accuracy(self) -> float:
        correct = sum(self.confusion[k][k] for k in range(len(self.confusion)))
        return correct / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.total,
            "macro_recall": round(self.macro_recall, 4),
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "per_class": {
                name: {"precision": round(self.precision(k), 4),
                       "recall": round(self.recall(k), 4), "f1": round(self.f1(k), 4),
                       "support": sum(self.confusion[k])}
                for k, name in enumerate(SENTIMENTS)
            },
            "confusion": [list(row) for row in self.confusion],
            "seconds": round(self.seconds, 2),
        }


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int]) -> SentimentReport:
    """Count (true, predicted) pairs into a 3x3 `SentimentReport`."""
    counts = [[0] * len(SENTIMENTS) for _ in SENTIMENTS]
    for t, p in zip(truth, predicted, strict=True):
        counts[t][p] += 1
    return SentimentReport(tuple(tuple(row) for row in counts))


def evaluate(
    classifier: PostClassifier, rows: Sequence[LabelledText], *, batch_size: int = 64
) -> SentimentReport:
    """Predict every row with `classifier` and compare with its label."""
    started = time.perf_counter()
    predictions = classifier.predict_batch([r.text for r in rows], [], batch_size=batch_size)
    seconds = time.perf_counter() - started
    index = {name: k for k, name in enumerate(SENTIMENTS)}
    report = confusion_matrix([r.label for r in rows], [index[p.sentiment] for p in predictions])
    return SentimentReport(report.confusion, seconds)


def evaluate_rows(
    model: str | Path | None,
    rows: Sequence[LabelledText],
    *,
    num_threads: int | None = None,
    quantize: bool = False,
) -> SentimentReport:
    """Load the model at `model` (None: the shipped one) and `evaluate` it on `rows`."""
    from models.classifier import load_classifier

    # sentiment only: topics (and their second encoder pass) play no part
    classifier = load_classifier(model, num_threads=num_threads, quantize=quantize,
                                 topic_encoder="shared")
    return evaluate(classifier, rows)


def render_report(report: SentimentReport, *, title: str, console: Console) -> None:
    """Print per-class metrics, macro scores and the confusion matrix as rich tables."""
    from rich.table import Table

    table = Table(title=title)
    for column in ("class", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="right" if column != "class" else "left")
    for k, name in enumerate(SENTIMENTS):
        table.add_row(name, f"{report.precision(k):.3f}", f"{report.recall(k):.3f}",
                      f"{report.f1(k):.3f}", str(sum(report.confusion[k])))
    table.add_row("macro", "", f"{report.macro_recall:.3f}", f"{report.macro_f1:.3f}",
                  str(report.total), style="bold")
    console.print(table)
    console.print(f"macro recall {report.macro_recall:.4f}  macro F1 {report.macro_f1:.4f}  "
                  f"accuracy {report.accuracy:.4f}  ({report.total} rows, {report.seconds:.1f}s)")
    matrix = Table(title="confusion (rows: true, columns: predicted)")
    matrix.add_column("")
    for name in SENTIMENTS:
        matrix.add_column(name, justify="right")
    for name, row in zip(SENTIMENTS, report.confusion, strict=True):
        matrix.add_row(name, *map(str, row))
    console.print(matrix)
