"""Customer-post -> brand-reply pairs for fine-tuning the generator, read from CSV or JSONL.

Column names are matched from a short list (IBM customer-care and TWCS exports work as
they are). Replies lose their leading @mentions: addressing is the connector's job, and a
model trained to type handles would invent them.
"""

from __future__ import annotations

import csv
import html
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from socialbot.domain import BrandVoice, DraftRequest
from socialbot.errors import DataFormatError

POST_COLUMNS = ("customer_context", "complaint_text", "post", "text", "customer", "input", "prompt")
REPLY_COLUMNS = ("brand_reply", "reply", "response", "output", "completion")
BRAND_COLUMNS = ("company", "brand")
GROUP_COLUMNS = ("sessionID", "session_id", "conversation_id")
#: IBM's export joins the turns of a conversation with this separator.
TURN_SEPARATOR = "|||"

_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w+)+\s*")
_URL = re.compile(r"https?://\S+")
_MENTION = re.compile(r"^@(\w+)")


@dataclass(frozen=True, slots=True)
class ReplyPair:
    """One post (with earlier turns) and the reply the brand actually sent."""

    post: str
    reply: str
    brand: str = ""
    thread: tuple[str, ...] = ()
    group: str = ""  # pairs from one conversation share a group and one side of the split

    def request(self) -> DraftRequest:
        return DraftRequest(text=self.post, platform="twitter", thread=self.thread)

    def voice(self) -> BrandVoice:
        """The brand voice the pair is trained under; its links are the reply's own links.

        Real brands list their help pages in `allowed_links`; giving each pair the links
        its reply used teaches the model to take links from the prompt, not invent them.
        """
        links = tuple(dict.fromkeys(url.rstrip(".,)") for url in _URL.findall(self.reply)))
        return BrandVoice(name=self.brand or "the brand", allowed_links=links)


def load_pairs(paths: Iterable[str | Path]) -> list[ReplyPair]:
    """Read pairs from CSV/JSONL files or folders of them; rows missing text are skipped."""
    pairs: list[ReplyPair] = []
    for path in map(Path, paths):
        if not path.exists():  # e.g. ../shared not beside the project: one line, not a trace
            raise DataFormatError(f"{path}: no such file or folder")
        files = [path]
        if path.is_dir():
            files = sorted(path.rglob("*.csv")) + sorted(path.rglob("*.jsonl"))
        if not files:
            raise DataFormatError(f"{path}: no .csv or .jsonl files under it")
        for file in files:
            pairs.extend(_pairs_from_rows(_rows(file), source=file))
    return pairs


def split_pairs(
    pairs: Sequence[ReplyPair], *, held_out: int, seed: int = 0
) -> tuple[list[ReplyPair], list[ReplyPair]]:
    """Split into (train, held-out) by conversation, so no conversation is on both sides."""
    groups: dict[str, list[ReplyPair]] = {}
    for index, pair in enumerate(pairs):
        groups.setdefault(pair.group or f"#{index}", []).append(pair)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    train: list[ReplyPair] = []
    test: list[ReplyPair] = []
    for key in keys:
        (test if len(test) < held_out else train).extend(groups[key])
    return train, test


def _rows(file: Path) -> list[dict[str, str]]:
    if file.suffix == ".jsonl":
        with file.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    with file.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _pairs_from_rows(rows: list[dict[str, str]], *, source: Path) -> list[ReplyPair]:
    if not rows:
        return []
    post_col = _column(rows[0], POST_COLUMNS, source, "post")
    reply_col = _column(rows[0], REPLY_COLUMNS, source, "reply")
    brand_col = next((c for c in BRAND_COLUMNS if c in rows[0]), None)
    group_col = next((c for c in GROUP_COLUMNS if c in rows[0]), None)
    pairs = []
    for number, row in enumerate(rows, start=1):
        turns = [_clean(t) for t in str(row.get(post_col) or "").split(TURN_SEPARATOR)]
        turns = [t for t in turns if t]
        reply = _LEADING_MENTIONS.sub("", _clean(str(row.get(reply_col) or "")))
        if not turns or not reply:
            continue
        brand = str(row.get(brand_col) or "") if brand_col else _brand_from(turns[-1])
        group = str(row.get(group_col) or "") if group_col else ""
        pairs.append(
            ReplyPair(
                post=turns[-1],
                reply=reply,
                brand=brand,
                thread=tuple(turns[:-1]),
                group=f"{source.name}:{group or number}",
            )
        )
    return pairs


def _column(row: dict[str, str], names: tuple[str, ...], source: Path, what: str) -> str:
    for name in names:
        if name in row:
            return name
    raise ValueError(f"{source}: no {what} column (looked for {', '.join(names)})")


def _clean(text: str) -> str:
    return html.unescape(text).replace("\xa0", " ").strip()


def _brand_from(post: str) -> str:
    """TWCS posts start with the brand's handle unless it was anonymised to digits."""
    match = _MENTION.match(post)
    return match.group(1) if match and not match.group(1).isdigit() else ""
