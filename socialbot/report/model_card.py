"""What the classifier's own model card says about its measured accuracy.

The sentiment model's folder (models/sentiment-minilm) holds MODEL_CARD.md and
JSON metrics files (`heldout_metrics.json` from `train sentiment`, `need_metrics.json`
from `train need`). Numbers come from every such JSON, each labelled by its file, else
from the card's lines that mention accuracy or F1; otherwise the report says plainly
that accuracy was not measured.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MODEL_DIR_NAME = "sentiment-minilm"
_METRIC_LINE = re.compile(r"(accuracy|macro[\s_-]*f1|f1|recall|precision)", re.IGNORECASE)
_NUMBER = re.compile(r"\d*\.\d+|\d+(\.\d+)?\s*%")


@dataclass
class ModelAccuracy:
    """Measured figures, where they came from, or why there are none."""

    source: str | None = None
    #: (what was measured, metric -> value)
    rows: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    #: lines quoted from the card when there is no JSON
    quoted: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return bool(self.rows or self.quoted)


def default_model_dir() -> Path | None:
    """models/sentiment-minilm next to the installed `models` package, without importing it."""
    spec = importlib.util.find_spec("models")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_DIR_NAME


def read_accuracy(folder: Path | None = None) -> ModelAccuracy:
    """The classifier's measured accuracy from `folder` (default: the shipped model's)."""
    folder = folder or default_model_dir()
    if folder is None or not folder.is_dir():
        return ModelAccuracy()
    found = ModelAccuracy()
    for path in sorted(folder.glob("*.json")):
        if path.name in (
            "classifier.json",
            "config.json",
            "tokenizer.json",
            "tokenizer_config.json",
        ):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("cannot read metrics %s: %s", path, exc)
            continue
        # Each metrics file is one measurement (the sentiment hold-out, the need head's
        # complaints hold-out): label its rows by the file so the report shows them all.
        label = "" if path.stem == "metrics" else f"{path.stem.removesuffix('_metrics')}: "
        rows = [(f"{label}{what}", numbers) for what, numbers in _metric_dicts(data, "")]
        if rows:
            found.source = ", ".join(filter(None, [found.source, str(path)]))
            found.rows.extend(rows)
    if found.measured:
        return found
    card = folder / "MODEL_CARD.md"
    if card.is_file():
        return ModelAccuracy(source=str(card), quoted=metric_lines(card.read_text("utf-8"))[:20])
    return ModelAccuracy()


def metric_lines(markdown: str) -> list[str]:
    """Lines stating a metric with a number, and whole tables whose header names one."""
    out: list[str] = []
    in_table = table_has_metric = False
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            if not in_table:  # the header row decides for the whole table
                in_table, table_has_metric = True, bool(_METRIC_LINE.search(stripped))
            if table_has_metric and not set(stripped) <= set("|-: "):
                out.append(" | ".join(c.strip() for c in stripped.strip("|").split("|")))
            continue
        in_table = False
        if _METRIC_LINE.search(stripped) and _NUMBER.search(stripped):
            out.append(stripped.lstrip("-* "))
    return out


def _metric_dicts(data: Any, path: str) -> Any:
    """Every dict holding accuracy/macro_f1 numbers, labelled by where it sits in the JSON."""
    if isinstance(data, dict):
        numbers = {
            k: float(v)
            for k, v in data.items()
            if isinstance(v, int | float)
            and not isinstance(v, bool)
            and re.search(r"accuracy|f1|recall|precision", k, re.IGNORECASE)
        }
        if numbers:
            yield (path or "overall", numbers)
        for key, value in data.items():
            if key != "per_class":
                yield from _metric_dicts(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _metric_dicts(value, f"{path}[{i}]")
