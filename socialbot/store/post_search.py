"""Finding stored posts by text, topic, sentiment, platform, author and time, newest first,
a page at a time by keyset on (created_at, id): page 1000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, exists, func, literal, select, tuple_

from socialbot.domain import bare_handle
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS

SENTIMENTS = ("negative", "neutral", "positive")


class FilterError(ValueError):
    """A filter or cursor that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class PostFilter:
    """What the user asked for; every field optional."""

    watch: str | None = None
    text: str | None = None
    topic: str | None = None
    sentiment: str | None = None
    platform: str | None = None
    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the previous page ended: the last post's (created_at, id)."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            at, pk = json.loads(raw)
            created = datetime.fromisoformat(at)
            if created.tzinfo is None or not isinstance(pk, int):
                raise ValueError
        except (ValueError, TypeError, UnicodeDecodeError):
            raise FilterError("after: not a page position this site made") from None
        return cls(created, pk)


@dataclass(frozen=True, slots=True)
class PostPage:
    posts: list[dict[str, Any]] = field(default_factory=list)
    #: where the next page starts; None on the last page
    next: Cursor | None = None


def _query(f: PostFilter) -> Select[Any]:
    query = (
        select(POSTS.c.id, POSTS.c.platform, POSTS.c.post_id, POSTS.c.author, POSTS.c.text,
               POSTS.c.url, POSTS.c.created_at, POSTS.c.watch, PREDICTIONS.c.sentiment,
               PREDICTIONS.c.p_negative, PREDICTIONS.c.p_neutral, PREDICTIONS.c.p_positive,
               PREDICTIONS.c.topics)
        .outerjoin(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
    )
    where = []
    if f.watch is not None:
        where.append(func.coalesce(PREDICTIONS.c.watch, POSTS.c.watch, "") == f.watch)
    if f.text:
        # LIKE with the user's % and _ taken literally
        escaped = f.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(func.lower(POSTS.c.text).like(f"%{escaped}%", escape="\\"))
    if f.topic:
        where.append(exists().where(POST_TOPICS.c.post_pk == POSTS.c.id,
                                    POST_TOPICS.c.topic == f.topic))
    if f.sentiment:
        where.append(PREDICTIONS.c.sentiment == f.sentiment)
    if f.platform:
        # `platform || ''` keeps SQLite off the (platform, post_id) index: with it, the
        # planner sorts every post of the platform instead of walking (created_at, id)
        where.append(POSTS.c.platform.op("||")(literal("")) == f.platform)
    if f.author:
        where.append(POSTS.c.author == bare_handle(f.author))
    if f.since is not None:
        where.append(POSTS.c.created_at >= f.since)
    if f.until is not None:
        where.append(POSTS.c.created_at < f.until)
    return query.where(*where)


def _row(r: Any) -> dict[str, Any]:
    topics = [t["name"] for t in json.loads(r.topics)] if r.topics else []
    return {
        "id": r.id, "platform": r.platform, "post_id": r.post_id, "author": r.author,
        "text": r.text, "url": r.url, "created_at": r.created_at, "watch": r.watch,
        "sentiment": r.sentiment, "p_negative": r.p_negative, "p_neutral": r.p_neutral,
        "p_positive": r.p_positive, "topics": topics,
    }


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(POSTS.c.created_at.desc(), POSTS.c.id.desc())


def find_posts(conn: Connection, f: PostFilter, *, after: Cursor | None = None,
               limit: int = 50) -> PostPage:
    """One page of matching posts, newest first, starting after `after`."""
    query = _query(f)
    if after is not None:
        # a row-value comparison: both SQLite and PostgreSQL seek the index with it
        query = query.where(tuple_(POSTS.c.created_at, POSTS.c.id)
                            < tuple_(after.created_at, after.id))
    rows = conn.execute(_newest_first(query).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return PostPage([_row(r) for r in rows],
                    Cursor(last.created_at, last.id) if last is not None else None)


def every_post(conn: Connection, f: PostFilter, *, limit: int,
               batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every matching post, newest first, at most `limit`, read a page at a time."""
    after: Cursor | None = None
    given = 0
    while given < limit:
        page = find_posts(conn, f, after=after, limit=min(batch, limit - given))
        yield from page.posts
        given += len(page.posts)
        if page.next is None:
            return
        after = page.next
