"""Load labelled sentiment data from the formats the project meets.

Generic TSV/CSV/JSONL files with ``text`` and ``label`` columns, SemEval Task 4A
files (``id<TAB>label<TAB>text``), TweetEval split folders and GoEmotions
"group" folders. Every loader returns `LabelledText` rows with labels as
indices into `socialbot.domain.SENTIMENTS`.

A file with no splits of its own (the brand sets) is split by the text's hash:
``apple-sentiment.tsv@heldout`` is a fixed fifth of it, ``@train`` the rest, the
same on every machine, so a model trained on ``@train`` is measured on rows it
never saw.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from models.text import overlap_key
from socialbot.domain import SENTIMENTS
from socialbot.errors import DataFormatError

AmbiguousPolicy = Literal["exclude", "neutral"]

#: labels meaning "the annotators could not tell": such rows are left out
_UNDECIDED = {"cant_tell", "can't tell", "i can't tell", "not_relevant"}
#: the hash split of a file without splits: one row in HELDOUT_SHARE is held out
HELDOUT_SHARE = 5
_HASH_SPLITS = ("train", "heldout")

_ALIASES = {
    "neg": 0, "negative": 0, "-1": 0, "0": 0,
    "neu": 1, "neutral": 1, "1": 1, "objective": 1, "objective-or-neutral": 1,
    "pos": 2, "positive": 2, "2": 2,
}


@dataclass(frozen=True, slots=True)
class LabelledText:
    text: str
    label: int  # index into SENTIMENTS


def parse_label(value: object) -> int:
    """Map a label written as a name or as 0/1/2 to an index into SENTIMENTS."""
    key = str(value).strip().lower()
    if key not in _ALIASES:
        raise DataFormatError(f"unknown sentiment label {value!r}; expected one of {SENTIMENTS}")
    return _ALIASES[key]


def load_labelled(
    path: str | Path, *, split: str | None = None, ambiguous: AmbiguousPolicy = "exclude"
) -> list[LabelledText]:
    """Read labelled rows from a file or a known corpus folder.

    `split` picks the split inside a TweetEval (``val``, ``train``...) or
    GoEmotions (``dev``, ``train``...) folder (a GoEmotions split can also be named
    as its file, ``goemotions-group/train.tsv``); `ambiguous` says what becomes of
    GoEmotions' *ambiguous* label.
    """
    path, part = hash_split_path(path)
    if part is not None:
        rows = load_labelled(path, split=split, ambiguous=ambiguous)
        return [r for r in rows if in_heldout(r.text) == (part == "heldout")]
    if path.is_dir():
        if (path / "mapping.txt").exists():
            return _tweeteval(path, split or "val")
        if (path / "labels.txt").exists():
            return _goemotions(path, split or "dev", ambiguous)
        files = sorted(p for p in path.iterdir() if p.suffix in {".txt", ".tsv"})
        if not files:
            raise DataFormatError(f"{path}: no .txt/.tsv files to read")
        return [row for f in files for row in _delimited(f)]
    if not path.exists():
        raise DataFormatError(f"{path}: no such file or folder")
    if (path.parent / "labels.txt").exists() and path.suffix == ".tsv":
        # one split of a GoEmotions folder, e.g. goemotions-group/train.tsv for training
        return _goemotions(path.parent, path.stem, ambiguous)
    if path.suffix == ".jsonl":
        return _jsonl(path)
    return _delimited(path)


def hash_split_path(path: str | Path) -> tuple[Path, str | None]:
    """`data.tsv@heldout` -> (data.tsv, "heldout"); a plain path -> (path, None)."""
    name = str(path)
    stem, at, part = name.rpartition("@")
    if at and part in _HASH_SPLITS and not Path(name).exists():
        return Path(stem), part
    return Path(name), None


def in_heldout(text: str) -> bool:
    """Whether `text` falls in the held-out fifth of a hash-split file."""
    digest = hashlib.sha256(overlap_key(text).encode("utf-8")).digest()
    return digest[0] % HELDOUT_SHARE == 0


def _jsonl(path: Path) -> list[LabelledText]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                rows.append(LabelledText(str(obj["text"]), parse_label(obj["label"])))
            except (json.JSONDecodeError, KeyError, TypeError, DataFormatError) as exc:
                raise DataFormatError(f"{path}:{number}: {exc}") from exc
    return rows


def _delimited(path: Path) -> list[LabelledText]:
    """CSV/TSV with a text+label header, or headerless SemEval ``id, label, text``."""
    delimiter = "," if path.suffix == ".csv" else "\t"
    with path.open(encoding="utf-8", newline="") as fh:
        first = fh.readline()
        fh.seek(0)
        header = [c.strip().lower() for c in next(csv.reader([first], delimiter=delimiter), [])]
        if "text" in header and "label" in header:
            reader = csv.DictReader(fh, delimiter=delimiter)
            return [LabelledText(r["text"], parse_label(r["label"])) for r in reader
                    if r["label"].strip().lower() not in _UNDECIDED]
        rows = []
        for number, line in enumerate(fh, 1):
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 3 or not fields[2].strip():
                continue  # SemEval files hold a few truncated lines
            label = fields[1].strip().lower()
            if label not in _ALIASES:
                raise DataFormatError(f"{path}:{number}: unknown label {fields[1]!r}")
            rows.append(LabelledText(fields[2], _ALIASES[label]))
        return rows


def _tweeteval(path: Path, split: str) -> list[LabelledText]:
    names = (path / "mapping.txt").read_text(encoding="utf-8").split("\n")
    index = {p.split("\t")[0]: parse_label(p.split("\t")[1]) for p in names if "\t" in p}
    texts = (path / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (path / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
    pairs = [(t, lab.strip()) for t, lab in zip(texts, labels, strict=False) if lab.strip()]
    return [LabelledText(t, index[lab]) for t, lab in pairs]


def _goemotions(path: Path, split: str, ambiguous: AmbiguousPolicy) -> list[LabelledText]:
    """GoEmotions groups; rows whose labels disagree (or are only ambiguous) are dropped."""
    names = (path / "labels.txt").read_text(encoding="utf-8").split()
    rows = []
    with (path / f"{split}.tsv").open(encoding="utf-8") as fh:
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2:
                continue
            found: set[int] = set()
            for ident in fields[1].split(","):
                name = names[int(ident)]
                if name == "ambiguous":
                    if ambiguous == "neutral":
                        found.add(1)
                else:
                    found.add(parse_label(name))
            if len(found) == 1:
                rows.append(LabelledText(fields[0], found.pop()))
    return rows


class _Text(Protocol):
    @property
    def text(self) -> str: ...


_Row = TypeVar("_Row", bound=_Text)


def drop_overlap(rows: Sequence[_Row], held_out: Iterable[str]) -> tuple[list[_Row], int]:
    """Remove rows whose text is (loosely) one of `held_out`; return rows and count dropped."""
    keys = {overlap_key(t) for t in held_out}
    keys.discard("")
    kept = [r for r in rows if overlap_key(r.text) not in keys]
    return kept, len(rows) - len(kept)


def dedupe(rows: Sequence[LabelledText]) -> list[LabelledText]:
    """Keep the first row of each text; the SemEval years repeat some tweets."""
    seen: set[str] = set()
    out = []
    for row in rows:
        key = overlap_key(row.text)
        if key and key not in seen:
            seen.add(key)
            out.append(row)
    return out


def split_rows(
    rows: Sequence[LabelledText], *, fraction: float, seed: int
) -> tuple[list[LabelledText], list[LabelledText]]:
    """Shuffle with `seed` and return (train, held_out) with `fraction` held out."""
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    cut = round(len(shuffled) * fraction)
    return shuffled[cut:], shuffled[:cut]
