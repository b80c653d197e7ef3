"""`socialbot eval topics`: per-topic precision and recall against labelled posts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.datasets import DataFormatError
from models.topic_eval import load_topic_rows, score_assignments
from models.topics import OTHER
from socialbot.cli import app
from tests.models.test_models_cli import CONFIG


def test_a_post_counted_under_two_topics_costs_the_wrong_ones_precision() -> None:
    report = score_assignments(
        [["delivery", "billing"], ["delivery"], ["billing"], [OTHER]],
        ["delivery", "delivery", "billing", "billing"],
        ["delivery", "billing"], threshold=0.3, margin=0.05)
    delivery, billing = report.per_topic["delivery"], report.per_topic["billing"]
    assert (delivery.precision, delivery.recall, delivery.counted) == (1.0, 1.0, 2)
    assert (billing.precision, billing.recall, billing.counted) == (0.5, 0.5, 2)
    assert report.macro_f1 == round((1.0 + 0.5) / 2, 4)  # `other` is not averaged
    assert report.per_topic[OTHER].support == 0


def test_labels_outside_the_topics_belong_in_other(tmp_path: Path) -> None:
    data = tmp_path / "posts.tsv"
    data.write_text("id\tdomain\ttext\n1\ttransport\tmy flight was late\n"
                    "2\trandom_tweet\tnice weather\n3\ttransport\t\n", encoding="utf-8")
    rows = load_topic_rows(data, label_column="domain", topic_names=["transport"])
    assert [(r.text, r.topic) for r in rows] == [("my flight was late", "transport"),
                                                 ("nice weather", OTHER)]


def test_hand_labels_by_id_pick_the_rows_and_their_topics(tmp_path: Path) -> None:
    """Topics labelled by hand for some rows of a data set whose text stays outside the
    repository: only the labelled rows are read, with the hand-given topic."""
    data = tmp_path / "posts.tsv"
    data.write_text("id\tdomain\ttext\n1\ttransport\tmy bag never arrived\n"
                    "2\ttransport\tflight delayed again\n3\tfood\tcold fries\n",
                    encoding="utf-8")
    labels = tmp_path / "reasons.tsv"
    labels.write_text("id\ttopic\n1\tluggage\n2\tthanks\n", encoding="utf-8")
    rows = load_topic_rows(data, topic_names=["luggage", "delays"], labels=labels)
    assert [(r.text, r.topic) for r in rows] == [("my bag never arrived", "luggage"),
                                                 ("flight delayed again", OTHER)]
    labels.write_text("id\ttopic\n99\tluggage\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="no id matches"):
        load_topic_rows(data, topic_names=["luggage"], labels=labels)


def test_eval_topics_prints_per_topic_figures(tiny_artefact: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(db=tmp_path / "x.db"))
    data = tmp_path / "posts.tsv"
    data.write_text("topic\ttext\ndelivery\tmy parcel is late\nbilling\tcharged twice\n"
                    "chat\tlovely weather\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "eval", "topics", "--data",
                                      str(data), "--model", str(tiny_artefact), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(figures["as_assigned"]["per_topic"]) == {"delivery", "billing", OTHER}
    assert figures["as_assigned"]["per_topic"][OTHER]["support"] == 1
    assert figures["best_only"]["margin"] == 0.0


def test_recorded_topic_figures_reach_the_report(tiny_artefact: Path, tmp_path: Path) -> None:
    """`eval topics --record` keeps the macro-F1 in the model folder, per data set and topic
    source, where the report's "how far to trust" section reads every metrics file."""
    import shutil

    from socialbot.report.model_card import read_accuracy

    folder = tmp_path / "model"
    shutil.copytree(tiny_artefact, folder)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(db=tmp_path / "x.db"))
    data = tmp_path / "posts.tsv"
    data.write_text("topic\ttext\ndelivery\tmy parcel is late\nbilling\tcharged twice\n",
                    encoding="utf-8")
    for encoder in ("base", "projected"):
        result = CliRunner().invoke(app, [
            "--config", str(config), "eval", "topics", "--data", str(data), "--model",
            str(folder), "--topic-encoder", encoder, "--record", "--json"])
        assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    kept = json.loads((folder / "topic_metrics.json").read_text())
    assert set(kept) == {f"{data} (config topics, base)", f"{data} (config topics, projected)"}
    assert kept[f"{data} (config topics, projected)"]["macro_f1"] == printed["as_assigned"][
        "macro_f1"]
    rows = dict(read_accuracy(folder).rows)
    assert rows[f"topic: {data} (config topics, base)"]["macro_f1"] == kept[
        f"{data} (config topics, base)"]["macro_f1"]


def test_eval_topics_refuses_a_topics_file_it_cannot_read(tiny_artefact: Path,
                                                          tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(db=tmp_path / "x.db"))
    bad = tmp_path / "topics.toml"
    bad.write_text('[[topic]]\nname = "Has Spaces"\ndescription = "x"\n', encoding="utf-8")
    data = tmp_path / "posts.tsv"
    data.write_text("topic\ttext\nx\ty\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "eval", "topics", "--data",
                                      str(data), "--topics", str(bad)])
    assert result.exit_code == 2
    assert "topics.toml" in result.output
