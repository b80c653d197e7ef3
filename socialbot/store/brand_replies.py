"""Replies the brand's own accounts posted to stored posts: one query for the reply
policy (no draft where the brand answered), the moderation queue (show the moderator)
and the poster (post nothing twice)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, tuple_

from socialbot.store.ingest import POSTS


@dataclass(frozen=True, slots=True)
class BrandReply:
    """A stored post by one of the brand's accounts, replying to `in_reply_to`."""

    platform: str
    in_reply_to: str
    post_id: str
    author: str
    text: str
    created_at: datetime


def brand_replies(
    conn: Connection, posts: Collection[tuple[str, str]], handles: Collection[str]
) -> list[BrandReply]:
    """Stored posts by one of `handles` (normalised: bare, lower case) that reply to any of
    `posts` (platform, post id), oldest first."""
    if not posts or not handles:
        return []
    rows = conn.execute(
        select(POSTS.c.platform, POSTS.c.in_reply_to, POSTS.c.post_id, POSTS.c.author,
               POSTS.c.text, POSTS.c.created_at)
        .where(tuple_(POSTS.c.platform, POSTS.c.in_reply_to).in_(list(posts)),
               func.lower(POSTS.c.author).in_(sorted(handles)))
        .order_by(POSTS.c.created_at, POSTS.c.id)
    )
    return [BrandReply(*row) for row in rows]
