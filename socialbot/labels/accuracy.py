"""How often the classifier agreed with the people who labelled the brand's posts.

Agreement is counted on the label that counts per post and kind (`current_labels`),
against what the model said *when the label was given*, split by model version and by
sample: posts that got a draft are not a random sample of what people say, so their
figure is kept apart from the random sample's. Each figure has a Wilson 95% interval.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from socialbot.config import Config
from socialbot.report.model_card import default_model_dir
from socialbot.store.labels import (
    KINDS,
    NEED_VALUES,
    SENTIMENT_VALUES,
    Label,
    topic_names,
)

#: z for a two-sided 95% interval
Z95 = 1.959964
#: the metrics files that state the shipped figure each kind is compared with
CARD_FILES = {"sentiment": "heldout_metrics.json", "need": "need_metrics.json"}


def wilson(agree: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for `agree` successes out of `total` (0, 1 when empty)."""
    if total == 0:
        return (0.0, 1.0)
    p = agree / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class Agreement:
    """`agree` of `total` labelled posts on which the model said what the person said."""

    agree: int
    total: int

    @property
    def rate(self) -> float:
        return self.agree / self.total if self.total else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.agree, self.total)

    def __str__(self) -> str:
        lo, hi = self.interval
        return f"{self.rate:.1%} ({lo:.1%}-{hi:.1%}, n={self.total})"


@dataclass
class _Tally:
    agree: int = 0
    total: int = 0

    def add(self, same: bool) -> None:
        self.agree += same
        self.total += 1

    def frozen(self) -> Agreement:
        return Agreement(self.agree, self.total)


@dataclass
class KindAccuracy:
    """One kind of label (sentiment, need, topic) for one model version and sample."""

    kind: str
    overall: Agreement
    #: per class the people chose (per topic, for topics): the share the model also chose
    per_class: dict[str, Agreement] = field(default_factory=dict)


@dataclass
class AccuracyGroup:
    """Every kind's agreement for the labels of one model version on one sample."""

    model_version: str
    sample: str
    kinds: dict[str, KindAccuracy] = field(default_factory=dict)


def measure(labels: Iterable[Label]) -> list[AccuracyGroup]:
    """Agreement per (model version, sample), per kind and per class or topic.

    Labels of posts the model had not classified yet say nothing about it and are left out.
    """
    overall: dict[tuple[str, str, str], _Tally] = defaultdict(_Tally)
    per_class: dict[tuple[str, str, str], dict[str, _Tally]] = defaultdict(
        lambda: defaultdict(_Tally))
    for label in labels:
        if label.predicted is None or label.model_version is None:
            continue
        key = (label.model_version, label.sample, label.kind)
        overall[key].add(label.value == label.predicted)
        if label.kind == "topic":
            said = topic_names(label.predicted)
            for topic in topic_names(label.value) or {"other"}:
                per_class[key][topic].add(topic in said if topic != "other" else not said)
        else:
            per_class[key][label.value].add(label.value == label.predicted)
    groups: dict[tuple[str, str], AccuracyGroup] = {}
    for (version, sample, kind), tally in sorted(overall.items()):
        group = groups.setdefault((version, sample), AccuracyGroup(version, sample))
        order = _class_order(kind, per_class[(version, sample, kind)])
        group.kinds[kind] = KindAccuracy(
            kind, tally.frozen(),
            {name: per_class[(version, sample, kind)][name].frozen() for name in order})
    return [groups[k] for k in sorted(groups)]


def _class_order(kind: str, seen: dict[str, _Tally]) -> list[str]:
    fixed: Sequence[str] = {"sentiment": SENTIMENT_VALUES, "need": NEED_VALUES}.get(kind, ())
    return [c for c in fixed if c in seen] + sorted(c for c in seen if c not in fixed)


@dataclass(frozen=True, slots=True)
class CardFigure:
    """The accuracy the model card states for a kind, and where it says so."""

    accuracy: float
    source: str


def card_folder(config: Config, watch: str | None = None) -> Path | None:
    """The folder of the model `watch` uses (it carries its own card: a retrain writes the
    figures on its held-out labels there), else the shipped model's."""
    return config.classifier_folder(watch) or default_model_dir()


def card_figures(folder: Path | None) -> dict[str, CardFigure]:
    """The shipped model's measured accuracy per kind, from its metrics files."""
    if folder is None:
        return {}
    figures = {}
    for kind, name in CARD_FILES.items():
        path = folder / name
        try:
            value = json.loads(path.read_text(encoding="utf-8")).get("accuracy")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, int | float):
            figures[kind] = CardFigure(float(value), str(path))
    return figures


def below_card(result: KindAccuracy, card: CardFigure | None) -> str | None:
    """A warning when agreement on the brand's posts is under the card's figure, else None."""
    if card is None or result.overall.total == 0 or result.overall.rate >= card.accuracy:
        return None
    how = ("clearly" if result.overall.interval[1] < card.accuracy
           else "though the interval still reaches it; label more posts to be sure")
    return (f"{result.kind} agreement {result.overall.rate:.1%} is below the model card's "
            f"{card.accuracy:.1%} ({how})")


__all__ = ["KINDS", "AccuracyGroup", "Agreement", "CardFigure", "KindAccuracy", "below_card",
           "card_figures", "card_folder", "measure", "wilson"]
