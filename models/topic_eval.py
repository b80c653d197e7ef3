"""How well few-shot topics count posts where they belong, on posts labelled with a topic.

A post is labelled with one topic (or none of the brand's: it belongs in ``other``); the
classifier may assign several. Per topic, precision is the share of posts counted under
it that belong there, recall the share of its posts counted there: what a trend line
per topic over- or under-counts. Two readings: *as assigned* (threshold and margin, what
the trends count) and *best only* (each post's best topic above the threshold).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from models.datasets import DataFormatError, hash_split_path, in_heldout
from models.topics import OTHER, assign_topics
from socialbot.domain import Topic

if TYPE_CHECKING:
    import torch

    from models.classifier import PostClassifier


@dataclass(frozen=True, slots=True)
class TopicLabelled:
    text: str
    topic: str  # a topic name, or OTHER


@dataclass(frozen=True, slots=True)
class TopicFigures:
    precision: float
    recall: float
    f1: float
    support: int  # posts labelled with the topic
    counted: int  # posts the classifier counted under it


@dataclass(frozen=True, slots=True)
class TopicReport:
    rows: int
    threshold: float
    margin: float
    per_topic: dict[str, TopicFigures] = field(default_factory=dict)

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the brand's topics (``other`` is reported, not averaged)."""
        named = [f.f1 for name, f in self.per_topic.items() if name != OTHER]
        return round(sum(named) / len(named), 4) if named else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"rows": self.rows, "threshold": self.threshold, "margin": self.margin,
                "macro_f1": self.macro_f1,
                "per_topic": {name: vars_of(f) for name, f in self.per_topic.items()}}


def vars_of(figures: TopicFigures) -> dict[str, float | int]:
    return {name: getattr(figures, name) for name in figures.__slots__}


def load_topic_rows(path: str | Path, *, label_column: str = "topic",
                    topic_names: Sequence[str] = (),
                    labels: str | Path | None = None) -> list[TopicLabelled]:
    """Rows of a TSV with a ``text`` column and a topic column (``FILE@train`` /
    ``FILE@heldout`` for the fixed hash split). A label that is not one of
    `topic_names` (when given) means the post belongs in ``other``.

    With `labels`, a TSV of ``id`` and ``topic`` written by hand for some rows of the
    data (matched on its ``id`` column), only those rows are read, with those topics:
    the data's licence keeps its text out of this repository, not its ids.
    """
    file, part = hash_split_path(path)
    if not file.exists():
        raise DataFormatError(f"{file}: no such file")
    by_id = _read_id_labels(Path(labels)) if labels is not None else None
    known = set(topic_names)
    needed = {"text", "id"} if by_id is not None else {label_column, "text"}
    rows = []
    with file.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not needed <= set(reader.fieldnames or ()):
            raise DataFormatError(f"{file}: expected columns {sorted(needed)}")
        for r in reader:
            text = (r["text"] or "").strip()
            if not text or (part is not None and in_heldout(text) != (part == "heldout")):
                continue
            if by_id is None:
                label = (r[label_column] or "").strip()
            elif (found := by_id.get((r["id"] or "").strip())) is not None:
                label = found
            else:
                continue
            rows.append(TopicLabelled(text, label if not known or label in known else OTHER))
    if by_id is not None and not rows:
        raise DataFormatError(f"{labels}: no id matches a row of {file}")
    return rows


def _read_id_labels(path: Path) -> dict[str, str]:
    if not path.exists():
        raise DataFormatError(f"{path}: no such file")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not {"id", "topic"} <= set(reader.fieldnames or ()):
            raise DataFormatError(f"{path}: expected columns 'id' and 'topic'")
        return {(r["id"] or "").strip(): (r["topic"] or "").strip() for r in reader}


def score_assignments(assigned: Sequence[Sequence[str]], gold: Sequence[str],
                      names: Sequence[str], *, threshold: float, margin: float) -> TopicReport:
    """Per-topic precision/recall/F1 of `assigned` topic lists against one `gold` topic each."""
    per_topic = {}
    for name in [*names, OTHER]:
        counted = sum(1 for a in assigned if name in a)
        support = sum(1 for g in gold if g == name)
        hits = sum(1 for a, g in zip(assigned, gold, strict=True) if g == name and name in a)
        precision = hits / counted if counted else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * hits / (counted + support) if hits else 0.0
        per_topic[name] = TopicFigures(round(precision, 4), round(recall, 4), round(f1, 4),
                                       support, counted)
    return TopicReport(len(gold), threshold, margin, per_topic)


def topic_similarities(classifier: PostClassifier, texts: list[str],
                       topics: Sequence[Topic]) -> torch.Tensor:
    """[posts, topics] scores, computed once so thresholds can be swept for free."""
    return classifier.topic_index(topics).similarities(classifier.embed(texts))


def report_at(scores: torch.Tensor, rows: Sequence[TopicLabelled], names: Sequence[str], *,
              threshold: float, margin: float, max_topics: int = 3) -> TopicReport:
    """Score the topics the classifier would assign at `threshold` and `margin`
    (margin 0 keeps only each post's best topic)."""
    assigned = assign_topics(scores, names, threshold=threshold, max_topics=max_topics,
                             margin=margin)
    return score_assignments([[t.name for t in a] for a in assigned], [r.topic for r in rows],
                             names, threshold=threshold, margin=margin)
