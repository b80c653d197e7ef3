"""`socialbot eval sentiment` and `socialbot classify` on a tiny trained artefact."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from socialbot.cli import app

CONFIG = """
[database]
url = "sqlite:///{db}"

[[watch]]
name = "acme"
[[watch.topic]]
name = "delivery"
description = "parcels and couriers"
examples = ["my parcel is late"]
[[watch.topic]]
name = "billing"
description = "charges and refunds"
"""


def test_eval_sentiment_prints_metrics_as_json(tiny_artefact: Path, tmp_path: Path) -> None:
    data = tmp_path / "labelled.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": t, "label": lab}) + "\n"
            for t, lab in [
                ("awful day", "negative"),
                ("great day", "positive"),
                ("a table", "neutral"),
            ]
        )
    )
    result = CliRunner().invoke(
        app, ["eval", "sentiment", "--data", str(data), "--model", str(tiny_artefact), "--json"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["rows"] == 3
    assert set(metrics["per_class"]) == {"negative", "neutral", "positive"}
    assert 0.0 <= metrics["macro_recall"] <= 1.0


def test_classify_json_lines_from_stdin(tiny_artefact: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(db=tmp_path / "x.db"))
    result = CliRunner().invoke(
        app,
        ["--config", str(config), "classify", "--json", "--model", str(tiny_artefact)],
        input="the courier lost my parcel\n\nI love it\n",
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]  # logs go to stderr
    assert [row["text"] for row in lines] == ["the courier lost my parcel", "I love it"]
    for row in lines:
        assert row["sentiment"] in row["scores"]
        assert set(row["scores"]) == {"negative", "neutral", "positive"}
        assert row["topics"] and {"name", "score"} <= set(row["topics"][0])


def test_classify_unknown_watch_exits_2(tiny_artefact: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(db=tmp_path / "x.db"))
    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(config),
            "classify",
            "--watch",
            "nope",
            "--model",
            str(tiny_artefact),
            "hello",
        ],
    )
    assert result.exit_code == 2


def test_classify_table_prints_markup_like_text_as_written(
    tiny_artefact: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(db=tmp_path / "x.db"))
    result = CliRunner().invoke(
        app,
        ["--config", str(config), "classify", "--model", str(tiny_artefact), "[/oops] hi"],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    assert "[/oops] hi" in result.stdout


def test_a_model_folder_that_holds_no_classifier_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(db=tmp_path / "x.db"))
    missing = tmp_path / "no-such-model"
    data = tmp_path / "labelled.jsonl"
    data.write_text(json.dumps({"text": "awful day", "label": "negative"}) + "\n")
    for args in (["classify", "--model", str(missing), "hello"],
                 ["eval", "sentiment", "--data", str(data), "--model", str(missing)]):
        result = CliRunner().invoke(app, ["--config", str(config), *args])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert f"--model: {missing}" in result.output
    config.write_text(CONFIG.format(db=tmp_path / "x.db")
                      + f'\n[classifier]\nmodel = "{missing}"\n')
    result = CliRunner().invoke(app, ["--config", str(config), "classify", "hello"])
    assert result.exit_code == 2
    assert "[classifier] model" in result.output
