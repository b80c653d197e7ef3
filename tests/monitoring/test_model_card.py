"""The report quotes the classifier's measured accuracy, or says it was not measured."""

from __future__ import annotations

import json
from pathlib import Path

from socialbot.report.model_card import read_accuracy


def test_metrics_json_next_to_the_card_wins(tmp_path: Path) -> None:
    (tmp_path / "MODEL_CARD.md").write_text("# card\nAccuracy: 0.50 on something else\n")
    (tmp_path / "classifier.json").write_text(json.dumps({"accuracy": 0.1}))  # not metrics
    (tmp_path / "metrics.json").write_text(
        json.dumps(
            {
                "test": {
                    "rows": 600,
                    "accuracy": 0.871,
                    "macro_f1": 0.842,
                    "per_class": {"negative": {"f1": 0.9}},
                },
                "demo": {"accuracy": 0.93},
            }
        )
    )
    acc = read_accuracy(tmp_path)
    assert acc.measured and acc.source and acc.source.endswith("metrics.json")
    assert dict(acc.rows) == {
        "test": {"accuracy": 0.871, "macro_f1": 0.842},
        "demo": {"accuracy": 0.93},
    }


def test_every_metrics_file_is_reported_under_its_name(tmp_path: Path) -> None:
    (tmp_path / "heldout_metrics.json").write_text(json.dumps({"macro_recall": 0.715}))
    (tmp_path / "need_metrics.json").write_text(json.dumps(
        {"data": "complaints.tsv@heldout", "complaint_f1": 0.801, "reply_recall": 0.9}))
    acc = read_accuracy(tmp_path)
    assert dict(acc.rows) == {"heldout: overall": {"macro_recall": 0.715},
                              "need: overall": {"complaint_f1": 0.801, "reply_recall": 0.9}}
    assert acc.source and "need_metrics.json" in acc.source


def test_without_json_the_cards_metric_lines_are_quoted(tmp_path: Path) -> None:
    (tmp_path / "MODEL_CARD.md").write_text(
        "# Sentiment\n\nTrained on tweets.\n\n| split | accuracy | macro-F1 |\n|---|---|---|\n"
        "| test | 0.87 | 0.84 |\n\nNo numbers in this line about accuracy.\n"
    )
    acc = read_accuracy(tmp_path)
    assert acc.measured and acc.rows == []
    assert acc.quoted == ["split | accuracy | macro-F1", "test | 0.87 | 0.84"]


def test_no_card_means_not_measured(tmp_path: Path) -> None:
    assert not read_accuracy(tmp_path / "missing").measured
    assert not read_accuracy(tmp_path).measured
