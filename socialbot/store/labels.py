"""Labels: what a person said a post really is, beside what the model said at the time.

The schema is owned by migration 0013_labels. The table is append-only (a trigger
refuses edits): a correction of a correction is a new row, and the newest row per post
and kind is the one that counts. Rows are deleted only by socialbot.privacy, when the
post they name is erased (forget, retention, the compliance check). A row whose
`value` is None withdraws the earlier label (a rejection that was undone).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    Select,
    Table,
    Text,
    insert,
    select,
)
from sqlmodel import Field, SQLModel

from socialbot.errors import SocialbotError
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS
from socialbot.store.types import UTCDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")

KINDS = ("sentiment", "need", "topic")
#: where the label was given: a correction in the queue, a "doesn't need a reply"
#: rejection, `socialbot label`'s random sample, a file, or the dashboard's correction form
SOURCES = ("queue", "reject", "sample", "import", "web")
#: which posts the label describes: ones that got a draft (not a random sample of what
#: people say), a random sample of recent posts (an unbiased estimate), or posts a person
#: chose to correct on the dashboard's posts page (neither: kept apart from both)
SAMPLES = ("drafted", "random", "chosen")
SENTIMENT_VALUES = ("negative", "neutral", "positive")
NEED_VALUES = ("complaint", "question", "none")
#: the topic value of a post on none of the watch's topics
NO_TOPIC = "other"


class LabelError(SocialbotError, ValueError):
    """A label that cannot be stored as given; the message says why."""


class LabelRow(SQLModel, table=True):
    """One label one person gave one post, with what the model said about it then."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_post", "platform", "post_id"),)

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    labeller: str = Field(max_length=200)
    source: str = Field(max_length=16)
    sample: str = Field(max_length=16)
    watch: str | None = Field(default=None, max_length=100)
    platform: str = Field(max_length=32)
    post_id: str = Field(max_length=64)
    #: sentiment | need | topic
    kind: str = Field(max_length=16)
    #: the label; topics as sorted names joined by "," ("other": none); None withdraws
    value: str | None = Field(default=None, sa_column=Column(Text))
    #: what the model said, in the same form, and which model said it (None: unclassified)
    predicted: str | None = Field(default=None, sa_column=Column(Text))
    model_version: str | None = Field(default=None, max_length=200)


LABELS: Table = LabelRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ModelSaid:
    """The stored prediction for a post, in label form."""

    watch: str | None
    model_version: str | None
    sentiment: str | None
    need: str | None
    topics: str | None

    def of(self, kind: str) -> str | None:
        return {"sentiment": self.sentiment, "need": self.need, "topic": self.topics}[kind]


@dataclass(frozen=True, slots=True)
class Label:
    """The label that counts for one post and kind (the newest not withdrawn)."""

    platform: str
    post_id: str
    watch: str | None
    kind: str
    value: str
    predicted: str | None
    model_version: str | None
    sample: str
    source: str
    labeller: str
    at: datetime


def topic_value(topics: Iterable[str]) -> str:
    """The one string a set of topics is stored as: sorted names, or "other" for none."""
    names = sorted({t for t in topics if t and t != NO_TOPIC})
    return ",".join(names) or NO_TOPIC


def topic_names(value: str | None) -> set[str]:
    """The topics in a stored topic value (empty for "other")."""
    return {t for t in (value or "").split(",") if t and t != NO_TOPIC}


def check_value(kind: str, value: str | None) -> None:
    """Refuse a label no report could count (topics are checked against the watch by callers)."""
    allowed = {"sentiment": SENTIMENT_VALUES, "need": NEED_VALUES}.get(kind)
    if kind not in KINDS:
        raise LabelError(f"unknown label kind {kind!r}; use one of {', '.join(KINDS)}")
    if value is not None and allowed is not None and value not in allowed:
        raise LabelError(f"{kind} label {value!r}: use one of {', '.join(allowed)}")


def model_said(conn: Connection, platform: str, post_id: str) -> ModelSaid | None:
    """What the classifier said about the post (None when the post is not stored)."""
    row = conn.execute(
        select(POSTS.c.watch, PREDICTIONS.c.model_version, PREDICTIONS.c.sentiment,
               PREDICTIONS.c.need, PREDICTIONS.c.topics)
        .outerjoin(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
        .where(POSTS.c.platform == platform, POSTS.c.post_id == post_id)
    ).one_or_none()
    if row is None:
        return None
    topics = None
    if row.topics is not None:
        topics = topic_value(t["name"] for t in json.loads(row.topics))
    return ModelSaid(row.watch, row.model_version, row.sentiment, row.need, topics)


def record_labels(
    conn: Connection, *, platform: str, post_id: str, values: Mapping[str, str | None],
    labeller: str, source: str, sample: str, now: datetime,
) -> int:
    """Append one row per kind in `values`, each beside the model's answer; return how many.

    Runs in the caller's transaction (a rejection and its label commit together).
    """
    if source not in SOURCES:
        raise LabelError(f"unknown label source {source!r}")
    if sample not in SAMPLES:
        raise LabelError(f"unknown sample {sample!r}; use {', '.join(SAMPLES)}")
    for kind, value in values.items():
        check_value(kind, value)
    said = model_said(conn, platform, post_id)
    if said is None:
        raise LabelError(f"no stored post {platform}:{post_id}")
    rows = [
        {"at": now, "labeller": labeller, "source": source, "sample": sample,
         "watch": said.watch, "platform": platform, "post_id": post_id, "kind": kind,
         "value": value, "predicted": said.of(kind), "model_version": said.model_version}
        for kind, value in values.items()
    ]
    if rows:
        conn.execute(insert(LABELS), rows)
    return len(rows)


def label_history(conn: Connection, *, watch: str | None = None) -> Iterator[dict[str, object]]:
    """Every label row, oldest first (withdrawals included): the export's content."""
    query = select(LABELS).order_by(LABELS.c.id)
    if watch is not None:
        query = query.where(LABELS.c.watch == watch)
    for row in conn.execute(query):
        yield dict(row._mapping)


def current_labels(conn: Connection, *, watch: str | None = None,
                   kind: str | None = None) -> list[Label]:
    """The label that counts per post and kind: the newest, unless it withdrew the label."""
    query = select(LABELS).order_by(LABELS.c.id)
    if watch is not None:
        query = query.where(LABELS.c.watch == watch)
    if kind is not None:
        query = query.where(LABELS.c.kind == kind)
    return _newest(conn, query)


def current_labels_of(conn: Connection, platform: str, post_id: str) -> list[Label]:
    """The labels that count for one post."""
    return _newest(conn, select(LABELS).order_by(LABELS.c.id).where(
        LABELS.c.platform == platform, LABELS.c.post_id == post_id))


def _newest(conn: Connection, query: Select[Any]) -> list[Label]:
    newest: dict[tuple[str, str, str], Label | None] = {}
    for r in conn.execute(query):
        key = (r.platform, r.post_id, r.kind)
        newest[key] = None if r.value is None else Label(
            r.platform, r.post_id, r.watch, r.kind, r.value, r.predicted, r.model_version,
            r.sample, r.source, r.labeller, r.at)
    return [label for label in newest.values() if label is not None]


def labelled_posts(conn: Connection, *, watch: str | None = None) -> set[tuple[str, str]]:
    """(platform, post_id) of every post with a label, to leave out of a new sample."""
    query = select(LABELS.c.platform, LABELS.c.post_id).distinct()
    if watch is not None:
        query = query.where(LABELS.c.watch == watch)
    return {(r.platform, r.post_id) for r in conn.execute(query)}
