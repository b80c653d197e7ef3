"""Writing a fetched Page: posts, quarantined records and the cursor, atomically.

Every connector's posts pass one check here before they are stored: a post with
a NUL character (U+0000) in any string field, or dated outside `[ingest]`'s
range, is quarantined with the reason, not stored (PostgreSQL text cannot hold
NUL; SQLite could, but both stores behave the same). Quarantined records
themselves are stored with any NUL written as the six characters `\\u0000`.
Lone surrogates (which no UTF-8 database stores) are treated the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update

from socialbot.config import IngestConfig
from socialbot.domain import Page, Post, Rejected
from socialbot.errors import StoreError
from socialbot.store.dialect import insert_ignoring_conflicts
from socialbot.store.tables import PostRow, QuarantineRow, SourceRow
from socialbot.store.types import utcnow

POSTS: Table = PostRow.__table__  # type: ignore[attr-defined]
QUARANTINE: Table = QuarantineRow.__table__  # type: ignore[attr-defined]
SOURCES: Table = SourceRow.__table__  # type: ignore[attr-defined]


class LeaseLost(StoreError):
    """The worker's lease on the source lapsed or was taken over before its page was written."""


@dataclass(frozen=True, slots=True)
class PageWritten:
    """What storing one page changed."""

    new_posts: int
    duplicates: int
    quarantined: int


def _insert_counting(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping conflicts, and return how many rows were really new.

    sqlite3 sums `rowcount` over an executemany; psycopg's batched inserts do
    not report it, so PostgreSQL counts the RETURNING rows instead.
    """
    stmt = insert_ignoring_conflicts(conn, table)
    if conn.dialect.name == "postgresql":
        return len(conn.execute(stmt.returning(table.c.id), rows).all())
    return max(conn.execute(stmt, rows).rowcount, 0)


_SQLITE_INSERT_POSTS = (
    "INSERT INTO posts (platform, post_id, source, watch, text, author, created_at, "
    "in_reply_to, conversation_id, url, lang, ingested_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _sqlite_datetime(value: datetime) -> str:
    """The string SQLAlchemy's SQLite DateTime stores ("%Y-%m-%d %H:%M:%S.%f"), in UTC.

    isoformat with fixed microseconds writes the same text as that strftime
    pattern, at a fraction of the cost; UTCDateTime reads it back as UTC.
    """
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _insert_posts_sqlite(
    conn: Connection, page: Page, *, source: str, watch: str | None, now: datetime
) -> int:
    """The ingest hot path on SQLite: plain executemany on driver tuples.

    Going through SQLAlchemy's per-row type processing cost more than the
    insert itself (bench/bench_ingest.py); the stored values are identical.
    """
    ingested = _sqlite_datetime(now)
    rows = [
        (
            p.platform,
            p.id,
            source,
            watch,
            p.text,
            p.author,
            _sqlite_datetime(p.created_at),
            p.in_reply_to,
            p.conversation_id,
            p.url,
            p.lang,
            ingested,
        )
        for p in page.posts
    ]
    result = conn.exec_driver_sql(_SQLITE_INSERT_POSTS, rows)
    return max(result.rowcount, 0)


#: the Post fields that are strings (or None); each is checked for NUL
_STRING_FIELDS = (
    "platform", "id", "text", "author", "in_reply_to", "conversation_id", "url", "lang"
)
_NUL = "\x00"
#: what neither database can store in text: NUL (PostgreSQL) and lone surrogates (both)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DEFAULT_ACCEPT = IngestConfig()
#: quarantine.position is VARCHAR(200); a longer one would fail the whole page on PostgreSQL
_POSITION_CHARS = 200


def post_problem(post: Post, *, earliest: datetime, latest: datetime) -> str | None:
    """Why `post` must not be stored, or None when it may be."""
    for name in _STRING_FIELDS:
        value = getattr(post, name)
        found = value and _UNSTORABLE.search(value)
        if found:
            char = found.group()
            what = "a NUL character" if char == _NUL else "a lone surrogate (not UTF-8)"
            return f"{name} contains {what} (U+{ord(char):04X} at index {found.start()})"
    created = post.created_at if post.created_at.tzinfo else post.created_at.replace(tzinfo=UTC)
    if not earliest <= created <= latest:
        return (
            f"created_at {created.isoformat()} is outside the accepted range "
            f"{earliest.isoformat()} to {latest.isoformat()} "
            "([ingest] earliest_post, and max_future ahead of the wall clock)"
        )
    return None


def _quarantine_post(post: Post, *, source: str, reason: str) -> Rejected:
    # json.dumps writes control characters (NUL too) as \u escapes.
    raw = json.dumps(
        {
            **{name: getattr(post, name) for name in _STRING_FIELDS},
            "created_at": post.created_at.isoformat(),
        },
        ensure_ascii=False,
    )
    return Rejected(source, f"{post.platform} post {post.id}", reason, raw)


def set_aside_unstorable(
    page: Page, *, source: str, accept: IngestConfig, now: datetime
) -> None:
    """Move the posts of `page` that must not be stored to its rejected records, in place.

    In place, so the caller's page afterwards holds exactly what was stored: the
    replay's stream clock, advanced to the page's newest post, never jumps to a
    quarantined year 9999.
    """
    earliest, latest = accept.date_range(now)
    kept: list[Post] = []
    for post in page.posts:
        problem = post_problem(post, earliest=earliest, latest=latest)
        if problem is None:
            kept.append(post)
        else:
            page.rejected.append(_quarantine_post(post, source=source, reason=problem))
    if len(kept) != len(page.posts):
        page.posts[:] = kept


def _printable(value: str) -> str:
    """`value` with what cannot be stored written as `\\uXXXX` escapes."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def fingerprint(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "backslashreplace")).hexdigest()[:32]


def ensure_source(conn: Connection, name: str, kind: str) -> None:
    """Create the source's row on first use (cursor None = start from the beginning)."""
    conn.execute(
        insert_ignoring_conflicts(conn, SOURCES).values(
            name=name, kind=kind, state="ok", updated_at=utcnow()
        )
    )


def read_cursor(conn: Connection, name: str) -> str | None:
    return conn.execute(select(SOURCES.c.cursor).where(SOURCES.c.name == name)).scalar_one_or_none()


def write_page(
    conn: Connection,
    page: Page,
    *,
    source: str,
    kind: str,
    watch: str | None,
    now: datetime | None = None,
    holder: str | None = None,
    accept: IngestConfig | None = None,
) -> PageWritten:
    """Store `page` on `conn`, which must be inside the caller's transaction.

    Posts are deduplicated on `(platform, post_id)` by the database itself, so a
    page re-read after a crash stores nothing twice. The cursor is written in the
    same transaction: it never points past posts that were not stored.

    Posts that fail `post_problem` (a NUL, or a date outside `accept`'s range
    around the wall clock `now`; default: `[ingest]`'s defaults) are quarantined
    instead, and moved from `page.posts` to `page.rejected`.

    With `holder`, the page is written only if that worker still holds the
    source's lease at `now`, and the lease is released with it; otherwise
    LeaseLost is raised (rolling the caller's transaction back), so a worker that
    stalled past its lease cannot move the cursor its successor now owns.
    """
    now = now or utcnow()
    set_aside_unstorable(page, source=source, accept=accept or _DEFAULT_ACCEPT, now=now)
    ensure_source(conn, source, kind)
    new_posts = 0
    if page.posts and conn.dialect.name == "sqlite":
        new_posts = _insert_posts_sqlite(conn, page, source=source, watch=watch, now=now)
    elif page.posts:
        rows = [
            {
                "platform": p.platform,
                "post_id": p.id,
                "source": source,
                "watch": watch,
                "text": p.text,
                "author": p.author,
                "created_at": p.created_at,
                "in_reply_to": p.in_reply_to,
                "conversation_id": p.conversation_id,
                "url": p.url,
                "lang": p.lang,
                "ingested_at": now,
            }
            for p in page.posts
        ]
        new_posts = _insert_counting(conn, POSTS, rows)
    quarantined = 0
    if page.rejected:
        rows = [
            {
                "source": r.source,
                "position": _printable(r.position)[:_POSITION_CHARS],
                "reason": _printable(r.reason),
                "raw": _printable(r.raw),
                "fingerprint": fingerprint(r.raw),
                "created_at": now,
            }
            for r in page.rejected
        ]
        quarantined = _insert_counting(conn, QUARANTINE, rows)
    moved = update(SOURCES).where(SOURCES.c.name == source)
    if holder is not None:
        moved = moved.where(SOURCES.c.held_by == holder, SOURCES.c.held_until > now).values(
            held_by=None, held_until=None
        )
    result = conn.execute(
        moved.values(
            cursor=page.cursor,
            posts_stored=SOURCES.c.posts_stored + new_posts,
            rejected=SOURCES.c.rejected + quarantined,
            state="exhausted" if page.exhausted else "ok",
            detail=None,
            retry_at=None,
            updated_at=now,
        )
    )
    if holder is not None and result.rowcount != 1:
        raise LeaseLost(f"source {source!r}: {holder!r} no longer holds it; page not written")
    return PageWritten(new_posts, len(page.posts) - new_posts, quarantined)


def set_source_state(
    conn: Connection,
    name: str,
    kind: str,
    *,
    state: str,
    detail: str | None = None,
    retry_at: datetime | None = None,
) -> None:
    """Record a source's health (backing_off until T, stopped: reason) for status."""
    ensure_source(conn, name, kind)
    conn.execute(
        update(SOURCES)
        .where(SOURCES.c.name == name)
        .values(state=state, detail=detail, retry_at=retry_at, updated_at=utcnow())
    )
