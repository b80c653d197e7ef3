"""Reading what the reply policy and the generator need from the store.

Classified posts not yet decided, with the facts `policy.decide` looks at (parent author,
brand already replied, the author's last drafted post), and a post's thread context.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, and_, select, tuple_

from socialbot.drafting.policy import Candidate
from socialbot.store.brand_replies import brand_replies
from socialbot.store.drafts import DRAFT_DECISIONS
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS

#: Parent posts shown to the generator and the moderator, newest last.
THREAD_DEPTH = 4


@dataclass(frozen=True, slots=True)
class StoredCandidate:
    """A candidate together with its row identity and watch."""

    post_pk: int
    watch: str
    candidate: Candidate


def topics_of(prediction_topics: str | None) -> tuple[str, ...]:
    """Topic names from the predictions row's JSON list, best first."""
    if not prediction_topics:
        return ()
    try:
        items = json.loads(prediction_topics)
    except ValueError:
        return ()
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str):
            names.append(name)
    return tuple(names)


def undecided_posts(
    conn: Connection, *, watches: Sequence[str], handles: dict[str, set[str]], limit: int
) -> list[StoredCandidate]:
    """Up to `limit` classified posts of `watches` with no policy decision, oldest first."""
    if not watches:
        return []
    rows = conn.execute(
        select(
            POSTS.c.id, POSTS.c.platform, POSTS.c.post_id, POSTS.c.text, POSTS.c.author,
            POSTS.c.created_at, POSTS.c.url, POSTS.c.in_reply_to, POSTS.c.watch,
            PREDICTIONS.c.sentiment, PREDICTIONS.c.topics, PREDICTIONS.c.need,
        )
        .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
        .outerjoin(DRAFT_DECISIONS, DRAFT_DECISIONS.c.post_pk == POSTS.c.id)
        .where(DRAFT_DECISIONS.c.post_pk.is_(None), POSTS.c.watch.in_(list(watches)))
        .order_by(POSTS.c.created_at, POSTS.c.id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    parents = _authors(conn, {(r.platform, r.in_reply_to) for r in rows if r.in_reply_to})
    all_handles = set().union(*handles.values()) if handles else set()
    replied = _brand_replied(conn, {(r.platform, r.post_id) for r in rows}, all_handles)
    out = []
    for r in rows:
        watch_handles = handles.get(r.watch, set())
        out.append(
            StoredCandidate(
                post_pk=r.id,
                watch=r.watch,
                candidate=Candidate(
                    platform=r.platform,
                    post_id=r.post_id,
                    text=r.text,
                    created_at=r.created_at,
                    author=r.author,
                    url=r.url,
                    in_reply_to=r.in_reply_to,
                    sentiment=r.sentiment,
                    need=r.need,
                    topics=topics_of(r.topics),
                    parent_author=parents.get((r.platform, r.in_reply_to)),
                    brand_replied=any(
                        a in watch_handles for a in replied.get((r.platform, r.post_id), ())
                    ),
                ),
            )
        )
    return out


def _authors(conn: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    if not keys:
        return {}
    rows = conn.execute(
        select(POSTS.c.platform, POSTS.c.post_id, POSTS.c.author).where(
            tuple_(POSTS.c.platform, POSTS.c.post_id).in_(list(keys))
        )
    ).all()
    return {(r.platform, r.post_id): r.author for r in rows if r.author}


def _brand_replied(
    conn: Connection, keys: set[tuple[str, str]], handles: set[str]
) -> dict[tuple[str, str], set[str]]:
    """(platform, post id) -> brand handles that replied to it."""
    out: dict[tuple[str, str], set[str]] = {}
    for r in brand_replies(conn, keys, handles):
        out.setdefault((r.platform, r.in_reply_to), set()).add(r.author.lower())
    return out


def last_drafted(
    conn: Connection, authors: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[datetime]]:
    """(platform, author) -> times of that author's posts that got a draft decision."""
    keys = {k for k in authors if k[1]}
    if not keys:
        return {}
    rows = conn.execute(
        select(DRAFT_DECISIONS.c.platform, DRAFT_DECISIONS.c.author,
               DRAFT_DECISIONS.c.post_created_at).where(
            and_(
                DRAFT_DECISIONS.c.decision == "draft",
                tuple_(DRAFT_DECISIONS.c.platform, DRAFT_DECISIONS.c.author).in_(list(keys)),
            )
        )
    ).all()
    out: dict[tuple[str, str], list[datetime]] = {}
    for r in rows:
        out.setdefault((r.platform, r.author), []).append(r.post_created_at)
    return out


def thread_of(conn: Connection, platform: str, in_reply_to: str | None) -> list[Row]:
    """The stored parent posts above a post, oldest first, at most THREAD_DEPTH of them."""
    chain: list[Row] = []
    seen: set[str] = set()
    parent = in_reply_to
    while parent and parent not in seen and len(chain) < THREAD_DEPTH:
        seen.add(parent)
        row = conn.execute(
            select(POSTS.c.post_id, POSTS.c.author, POSTS.c.text, POSTS.c.created_at,
                   POSTS.c.in_reply_to).where(
                POSTS.c.platform == platform, POSTS.c.post_id == parent
            )
        ).first()
        if row is None:
            break
        chain.append(row)
        parent = row.in_reply_to
    return list(reversed(chain))
