"""Erasing stored posts with everything that refers to them, and logging that it happened.

The trend counts (`trend_buckets`) are aggregates with no reference to a post, so
they stay: `socialbot trends` over an erased span shows the same numbers. What a
post added is remembered per post in `trend_counted`, which goes with the post;
socialbot.watching.bucket_width keeps the difference when the trends are recounted.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, exists, func, insert, select

from socialbot.privacy.quotes import quoted_post, scrub_posts
from socialbot.privacy.references import SchemaReferences
from socialbot.privacy.tables import ERASURE_LOG

logger = logging.getLogger(__name__)

#: post ids per statement: well under SQLite's 32766 bound parameters
CHUNK = 500


@dataclass
class Erased:
    """What one erasure removed, per table (a cleared reference counts as a row)."""

    posts: int = 0
    tables: Counter[str] = field(default_factory=Counter)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def __iadd__(self, other: Erased) -> Erased:
        self.posts += other.posts
        self.tables.update(other.tables)
        return self


def erase_posts(conn: Connection, refs: SchemaReferences, post_pks: Sequence[int]) -> Erased:
    """Delete the posts with these row ids and every row referring to them, in `conn`'s
    transaction; alert quotes of them go too."""
    erased = Erased()
    for start in range(0, len(post_pks), CHUNK):
        erased += _erase_chunk(conn, refs, list(post_pks[start:start + CHUNK]))
    return erased


def _erase_chunk(conn: Connection, refs: SchemaReferences, pks: list[int]) -> Erased:
    posts = refs.posts
    erased = Erased()
    named = [quoted_post(p, i) for p, i in conn.execute(
        select(posts.c.platform, posts.c.post_id).where(posts.c.id.in_(pks)))]
    if not named:
        return erased
    for step in refs.keys:  # children before parents: each finds its rows through theirs
        where = step.rows(pks)
        if step.action == "set_null":
            done = conn.execute(step.table.update().where(where)
                                .values({step.column.name: None})).rowcount
        else:
            done = conn.execute(step.table.delete().where(where)).rowcount
        _count(erased, step.table.name, done)
    for table in refs.by_post_id:
        named_post = exists().where(posts.c.id.in_(pks), posts.c.platform == table.c.platform,
                                    posts.c.post_id == table.c.post_id)
        _count(erased, table.name, conn.execute(table.delete().where(named_post)).rowcount)
    erased.posts = conn.execute(posts.delete().where(posts.c.id.in_(pks))).rowcount
    _count(erased, posts.name, erased.posts)
    _count(erased, "alert quotes", scrub_posts(conn, set(named)))
    return erased


def erase_by_author(conn: Connection, refs: SchemaReferences, *, platform: str,
                    author: str) -> Erased:
    """Rows naming the author that no post refers to (tables in `refs.by_author`)."""
    erased = Erased()
    for table in refs.by_author:
        done = conn.execute(table.delete().where(
            table.c.platform == platform,
            func.lower(table.c.author) == author.lower())).rowcount
        _count(erased, table.name, done)
    return erased


def log_erasure(conn: Connection, *, reason: str, platform: str, erased: Erased,
                now: datetime) -> None:
    """Record that an erasure happened: when, why, where and how much; never who or what."""
    conn.execute(insert(ERASURE_LOG).values(at=now, reason=reason, platform=platform,
                                            posts=erased.posts, rows=erased.rows))
    logger.info("erased %d posts (%d rows) on %s: %s", erased.posts, erased.rows, platform,
                reason)


def _count(erased: Erased, table: str, done: int) -> None:
    if done and done > 0:
        erased.tables[table] += done
