"""Loading labelled data, normalising text and holding evaluation tweets out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.datasets import (
    DataFormatError,
    LabelledText,
    dedupe,
    drop_overlap,
    load_labelled,
    split_rows,
)
from models.text import normalise_text, overlap_key


def test_generic_tsv_csv_and_jsonl_read_the_same(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("text\tlabel\nlate again\tnegative\nfine\t1\n")
    (tmp_path / "a.csv").write_text('text,label\n"late, again",neg\nfine,neutral\n')
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"text": "late again", "label": 0}) + "\n\n"
        + json.dumps({"text": "fine", "label": "neutral"}) + "\n")
    assert [r.label for r in load_labelled(tmp_path / "a.tsv")] == [0, 1]
    assert load_labelled(tmp_path / "a.csv")[0] == LabelledText("late, again", 0)
    assert [r.label for r in load_labelled(tmp_path / "a.jsonl")] == [0, 1]


def test_semeval_files_without_header_skip_truncated_lines(tmp_path: Path) -> None:
    (tmp_path / "x-A.txt").write_text(
        "1\tpositive\tgreat game\u002c really\n2\tneutral\n3\tnegative\tawful\t\n")
    rows = load_labelled(tmp_path)
    assert rows == [LabelledText("great game\u002c really", 2), LabelledText("awful", 0)]


def test_unknown_labels_are_reported_with_their_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"text": "x", "label": "meh"}\n')
    with pytest.raises(DataFormatError, match=r"bad.jsonl:1"):
        load_labelled(tmp_path / "bad.jsonl")


def test_tweeteval_folder(tmp_path: Path) -> None:
    (tmp_path / "mapping.txt").write_text("0\tnegative\n1\tneutral\n2\tpositive\n")
    (tmp_path / "val_text.txt").write_text("bad day \nok\nyay\n")
    (tmp_path / "val_labels.txt").write_text("0\n1\n2\n")
    assert [r.label for r in load_labelled(tmp_path)] == [0, 1, 2]


@pytest.mark.parametrize(("policy", "expected"), [
    ("exclude", [("sad", 0), ("meh", 1), ("eh", 1)]),  # ambiguous+neutral -> neutral
    ("neutral", [("sad", 0), ("meh", 1), ("hmm", 1), ("eh", 1)]),
])
def test_goemotions_ambiguous_policy(tmp_path: Path, policy: str, expected: list) -> None:
    (tmp_path / "labels.txt").write_text("ambiguous\nnegative\nneutral\npositive\n")
    (tmp_path / "dev.tsv").write_text(
        "sad\t1\ta\nmeh\t2\tb\nhmm\t0\tc\nmixed\t1,3\td\neh\t0,2\te\n")
    rows = load_labelled(tmp_path, ambiguous=policy)  # type: ignore[arg-type]
    assert [(r.text, r.label) for r in rows] == expected


def test_a_goemotions_split_file_reads_as_goemotions(tmp_path: Path) -> None:
    """`--data goemotions-group/train.tsv` trains on that split, not on the dev default."""
    (tmp_path / "labels.txt").write_text("ambiguous\nnegative\nneutral\npositive\n")
    (tmp_path / "train.tsv").write_text("great\t3\ta\nugh\t1\tb\nhmm\t0\tc\n")
    (tmp_path / "dev.tsv").write_text("other\t2\td\n")
    rows = load_labelled(tmp_path / "train.tsv")
    assert [(r.text, r.label) for r in rows] == [("great", 2), ("ugh", 0)]


def test_normalise_text_matches_tweeteval_conventions() -> None:
    raw = '"@jane_doe the app crashed\\u2019 http://t.co/x again &amp; again"'
    assert normalise_text(raw) == "@user the app crashed\u2019 http again & again"
    assert normalise_text("mail me at a@b.com") == "mail me at a@b.com"


def test_overlap_finds_anonymised_copies_and_drops_them() -> None:
    train = [LabelledText('"@bob Dark Souls 3 launch date http://t.co/abc"', 1),
             LabelledText("something else", 2)]
    kept, dropped = drop_overlap(train, ["@user Dark Souls 3 launch date "])
    assert dropped == 1 and kept == [train[1]]
    assert overlap_key("@user Hi!") == overlap_key("@someone hi")


def test_dedupe_and_split_are_deterministic() -> None:
    rows = [LabelledText(f"t{i}", i % 3) for i in range(100)] + [LabelledText("t1", 1)]
    unique = dedupe(rows)
    assert len(unique) == 100
    a = split_rows(unique, fraction=0.1, seed=3)
    b = split_rows(unique, fraction=0.1, seed=3)
    assert a == b and len(a[1]) == 10
    assert not {r.text for r in a[0]} & {r.text for r in a[1]}


def test_emoji_reach_the_model_as_words() -> None:
    # The BERT vocabulary has no emoji: unspelt, "love it 😍" and "love it 😡" read alike.
    assert normalise_text("love it 😍") == "love it smiling face with heart-eyes"
    assert normalise_text("late again 😡😡😡 @shop") == "late again enraged face @user"
    assert normalise_text("ok 👍🏽👍") == "ok thumbs up"
    assert normalise_text("no emoji here") == "no emoji here"


def test_oversampled_rows_of_one_file_count_n_times(tmp_path: Path) -> None:
    """`train sentiment --oversample FILE=N`: the few posts written to brands among many
    general tweets weigh N times as much; other rows and a bad spec are left as they are."""
    from socialbot.cli.models_cmd import oversampled

    brand = tmp_path / "brand.tsv"
    brand.write_text("label\ttext\npositive\t@acme love the new app\n"
                     "neutral\t@acme store opens at 9\n", encoding="utf-8")
    general = [LabelledText("nice weather today", 2), LabelledText("meh monday", 1)]
    # one brand row is left in training: the split held the other one out
    rows = [*general, LabelledText("@acme love the new app", 2)]
    out = oversampled(rows, [f"{brand}=3"])
    assert [r.text for r in out].count("@acme love the new app") == 3
    assert out[:3] == rows and len(out) == 5
    for bad in (f"{brand}=0", f"{brand}=x", str(brand)):
        with pytest.raises(ValueError, match="expected FILE=N"):
            oversampled(rows, [bad])
    with pytest.raises(ValueError, match="none of the training rows"):
        oversampled(general, [f"{brand}=2"])
