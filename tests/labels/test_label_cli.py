"""`socialbot label` (a random sample, answered at the prompt) and `labels export`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialbot.cli import app
from socialbot.store import Store
from socialbot.store.labels import Label, current_labels
from tests.labels.demo import MODEL, demo_store, moderator_corrects


@pytest.fixture
def labelled(tmp_path: Path) -> Store:
    return demo_store(tmp_path)[1]


def run(tmp_path: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["-c", str(tmp_path / "config.toml"), *args], input=input)
    return result.exit_code, result.output


def stored(store: Store) -> list[Label]:
    with store.reading() as conn:
        return current_labels(conn)


def test_labelling_a_random_sample_at_the_prompt(tmp_path: Path, labelled: Store) -> None:
    answers = ("p\nx\n\n"          # post 1: positive, needs no reply, topics as the model said
               "maybe\nn\nc\n1,billing\n"  # post 2: a bad answer is asked again
               "s\n"               # post 3 skipped
               "q\n")              # stop
    code, out = run(tmp_path, "label", "--count", "5", "--who", "bo", input=answers)
    assert code == 0, out
    assert "5 posts of parcelly picked at random" in out
    assert "use n, u, p, enter, s or q" in out
    assert "labelled 2 posts of parcelly (sample: random)" in out
    labels = stored(labelled)
    assert len(labels) == 6
    assert {(lab.sample, lab.source, lab.labeller, lab.model_version) for lab in labels} == {
        ("random", "sample", "bo", MODEL)}
    by_kind = sorted((lab.kind, lab.value) for lab in labels)
    assert ("sentiment", "positive") in by_kind and ("sentiment", "negative") in by_kind
    assert ("topic", "billing,delivery") in by_kind and ("need", "complaint") in by_kind
    # a post already labelled is not offered again
    from socialbot.labels.sampling import random_sample

    with labelled.reading() as conn:
        offered = {(p.platform, p.post_id) for p in random_sample(
            conn, watch="parcelly", count=5000, days=30)}
    assert len(offered) == 1709 - 2
    assert not offered & {(lab.platform, lab.post_id) for lab in labels}


def test_an_unknown_watch_is_one_line_and_exit_2(tmp_path: Path, labelled: Store) -> None:
    code, out = run(tmp_path, "label", "--watch", "nope")
    assert code == 2
    assert "no watch named 'nope'" in out and "Traceback" not in out


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_writes_every_label_with_its_model_and_text(tmp_path: Path, labelled: Store,
                                                           fmt: str) -> None:
    moderator_corrects(labelled, 3)
    target = tmp_path / f"labels.{fmt}"
    code, out = run(tmp_path, "labels", "export", "--format", fmt, "--output", str(target))
    assert code == 0, out
    assert f"exported 9 label rows to {target}" in out.replace("\n", "")
    with target.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh)) if fmt == "csv" else [json.loads(x) for x in fh]
    assert len(rows) == 9
    first = rows[0]
    assert first["labeller"] == "ana" and first["model_version"] == MODEL
    assert first["kind"] == "sentiment" and first["sample"] == "drafted"
    assert first["text"].startswith("@parcelly")
    assert first["at"].startswith("2026-11-09T09:00:00")


def test_export_refuses_an_unknown_format(tmp_path: Path, labelled: Store) -> None:
    code, out = run(tmp_path, "labels", "export", "--format", "xml")
    assert code == 2 and "--format: use csv or jsonl" in out


def test_topics_says_how_many_examples_each_topic_learned(tmp_path: Path,
                                                          labelled: Store) -> None:
    code, out = run(tmp_path, "topics")
    assert code == 0, out
    assert "delivery" in out and " 0 " in out
    keys = moderator_corrects(labelled, 40)
    with labelled.reading() as conn:
        taught = [lab for lab in current_labels(conn, kind="topic")
                  if (lab.platform, lab.post_id) in set(keys)]
    expected = {t: sum(t in lab.value.split(",") for lab in taught) for t in ("delivery",
                                                                                "billing")}
    assert expected["delivery"] > 0
    code, out = run(tmp_path, "topics")
    assert code == 0, out
    rows = {line.split("│")[1].strip(): line.split("│")[-2].strip()
            for line in out.splitlines() if line.count("│") >= 5}
    assert rows["delivery"] == str(expected["delivery"])
    assert rows["billing"] == str(expected["billing"])


def test_a_watch_without_topics_is_told_which_tables_to_add(tmp_path: Path) -> None:
    # rich read "[[watch.topic]]" as a markup tag and printed "add [] tables"
    (tmp_path / "config.toml").write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n\n[[watch]]\nname = "plain"\n')
    code, out = run(tmp_path, "topics")
    assert code == 0, out
    assert "watch plain has no topics: add [[watch.topic]] tables to config.toml" in out
