"""Alerts quote their most representative posts (text, author): erased posts leave them.

An alert and its queued deliveries keep the posts they showed as JSON
(`alerts.detail` and `alert_outbox.payload`, key "posts"); when a post is erased
its quote goes too, so a delivery still waiting sends the alert without it. What
was already delivered to Slack or by e-mail is out of socialbot's reach.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import Connection, Table, select, update

from socialbot.watching.tables import ALERTS, OUTBOX

#: a quoted post as the alert stored it
Quote = dict[str, Any]


def quoted_post(platform: str, post_id: str) -> str:
    return f"{platform}:{post_id}"


def scrub_quotes(conn: Connection, gone: Callable[[Quote], bool]) -> int:
    """Remove every quoted post for which `gone` is true; returns how many rows changed."""
    changed = 0
    for table, key, column in ((ALERTS, ALERTS.c.id, ALERTS.c.detail),
                               (OUTBOX, OUTBOX.c.id, OUTBOX.c.payload)):
        changed += _scrub(conn, table, key, column, gone)
    return changed


def scrub_posts(conn: Connection, posts: Collection[str]) -> int:
    """Remove the quotes of `posts` ("platform:post_id" strings)."""
    if not posts:
        return 0
    return scrub_quotes(conn, lambda q: quoted_post(str(q.get("platform")),
                                                    str(q.get("id"))) in posts)


def quotes_of(conn: Connection, keep: Callable[[Quote], bool]) -> list[dict[str, Any]]:
    """Every alert's quoted posts for which `keep` is true, with the alert they are in."""
    out = []
    for row in conn.execute(select(ALERTS.c.id, ALERTS.c.detail)
                            .where(ALERTS.c.detail.like('%"posts": [{%'))):
        for quote in json.loads(row.detail).get("posts") or []:
            if isinstance(quote, dict) and keep(quote):
                out.append({"alert": int(row.id), **quote})
    return out


def _scrub(conn: Connection, table: Table, key: Any, column: Any,
           gone: Callable[[Quote], bool]) -> int:
    changed = 0
    # json.dumps writes `"posts": [{` for a non-empty list: only those can quote a post
    rows = conn.execute(select(key, column).where(column.like('%"posts": [{%'))).all()
    for row_id, text in rows:
        doc = json.loads(text)
        quotes = doc.get("posts") or []
        kept = [q for q in quotes if not (isinstance(q, dict) and gone(q))]
        if len(kept) == len(quotes):
            continue
        doc["posts"] = kept
        conn.execute(update(table).where(key == row_id).values({column.name: json.dumps(doc)}))
        changed += 1
    return changed
