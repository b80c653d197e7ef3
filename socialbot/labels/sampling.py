"""A random sample of a watch's recent posts for people to label: the unbiased estimate.

Posts that got a draft are the ones a moderator reads anyway, but they are not what
people say in general (complaints and questions, addressed to the brand); a random
sample of every classified post is, so its labels carry sample "random".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from socialbot.domain import utc
from socialbot.store.ingest import POSTS
from socialbot.store.labels import LABELS, topic_value
from socialbot.store.predictions import PREDICTIONS


@dataclass(frozen=True, slots=True)
class SamplePost:
    """A post to label, with what the model said about it."""

    platform: str
    post_id: str
    watch: str | None
    author: str | None
    text: str
    created_at: datetime
    sentiment: str
    need: str | None
    topics: str
    model_version: str


def random_sample(conn: Connection, *, watch: str | None, count: int,
                  days: float = 7.0) -> list[SamplePost]:
    """Up to `count` classified posts of `watch` from its last `days` days, in random order,
    leaving out posts that already have a label.

    "Recent" is measured from the newest stored post, so a replayed week counts as recent.
    """
    where = [] if watch is None else [POSTS.c.watch == watch]
    newest = conn.execute(select(func.max(POSTS.c.created_at)).where(*where)).scalar_one()
    if newest is None:
        return []
    labelled = select(LABELS.c.post_id).where(LABELS.c.platform == POSTS.c.platform,
                                              LABELS.c.post_id == POSTS.c.post_id)
    rows = conn.execute(
        select(POSTS.c.platform, POSTS.c.post_id, POSTS.c.watch, POSTS.c.author, POSTS.c.text,
               POSTS.c.created_at, PREDICTIONS.c.sentiment, PREDICTIONS.c.need,
               PREDICTIONS.c.topics, PREDICTIONS.c.model_version)
        .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
        .where(*where, POSTS.c.created_at >= utc(newest) - timedelta(days=days),
               ~labelled.exists())
        .order_by(func.random())
        .limit(count)
    ).all()
    return [
        SamplePost(r.platform, r.post_id, r.watch, r.author, r.text, r.created_at, r.sentiment,
                   r.need, topic_value(t["name"] for t in json.loads(r.topics)),
                   r.model_version)
        for r in rows
    ]

