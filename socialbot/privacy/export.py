"""`socialbot export`: everything stored about one author, as one JSON document.

It follows the same references as `forget` (socialbot.privacy.references), so what
an export shows is what a `forget` would erase.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, exists, func, select

from socialbot.privacy.forget import Author, author_posts, in_quarantine
from socialbot.privacy.quotes import quotes_of
from socialbot.privacy.references import reflect_references
from socialbot.store.ingest import QUARANTINE


def export_author(conn: Connection, author: Author, *, now: datetime) -> dict[str, Any]:
    """The author's posts, every row referring to them, rows naming the author, the
    quarantined records mentioning them, and the alerts quoting them."""
    refs = reflect_references(conn)
    pks = author_posts(conn, author)
    posts = refs.posts
    tables: dict[str, list[dict[str, Any]]] = {}
    if pks:
        tables[posts.name] = _rows(conn, select(posts).where(posts.c.id.in_(pks))
                                   .order_by(posts.c.created_at, posts.c.id))
        for step in reversed(refs.keys):  # parents before children reads naturally
            rows = _rows(conn, select(step.table).where(step.rows(pks)))
            if rows:
                tables.setdefault(step.table.name, []).extend(rows)
        for table in refs.by_post_id:
            named = exists().where(posts.c.id.in_(pks), posts.c.platform == table.c.platform,
                                   posts.c.post_id == table.c.post_id)
            if rows := _rows(conn, select(table).where(named)):
                tables[table.name] = rows
    for table in refs.by_author:
        if rows := _rows(conn, select(table).where(
                table.c.platform == author.platform,
                func.lower(table.c.author) == author.name.lower())):
            tables[table.name] = rows
    quarantined = _rows(conn, select(QUARANTINE).where(in_quarantine(author)))
    return {
        "platform": author.platform,
        "author": author.name,
        "exported_at": now.isoformat(),
        "posts": len(pks),
        "tables": tables,
        "quarantined_records": quarantined,
        "alert_quotes": quotes_of(conn, lambda q: author.owns(q.get("platform"),
                                                               q.get("author"))),
    }


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in conn.execute(query)]


def _plain(value: Any) -> Any:
    """A column value as JSON can hold it (embeddings as base64)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the store keeps UTC; reflected columns drop it
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return float(value)
    return value
