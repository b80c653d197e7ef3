"""Do two rules fire on the same posts? The overlap of the posts each one counted in a window.

A post about two topics is counted under both, so one incident (a surge of
lost-luggage complaints that also mention a booking) makes the rules of both
topics fire. The posts the trends stage counted (`trend_counted`) say exactly
which posts each rule's window held.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from socialbot.watching.tables import TREND_COUNTED

#: Two rules firing in the same window are one incident when at least half of the posts
#: of the smaller window are also posts of the other (overlap coefficient
#: |A & B| / min(|A|, |B|) >= 0.5). Posts about two topics are usually a small share of
#: a topic (the base rate of two separate incidents' overlap), while a rule that fires
#: because of another topic's incident has most of its window made of that incident's
#: posts: a spike is several times its baseline, so the shared posts are the majority.
#: Half is the point where the shared posts are more of the smaller window than its own.
#: The shared posts must also be at least the joining rule's `min_posts`: an alert whose
#: rules have gone quiet (waiting out their cooldown) counts a few ordinary posts, and
#: two of three shared by chance is no evidence of one incident.
MERGE_OVERLAP = 0.5


def same_incident(a: frozenset[int], b: frozenset[int], *, min_posts: int) -> float | None:
    """The overlap of `a` and `b` if it makes them one incident, else None."""
    share = overlap(a, b)
    return share if share >= MERGE_OVERLAP and len(a & b) >= min_posts else None


def counted_in(conn: Connection, watch: str, *, start: datetime, end: datetime) -> list[Any]:
    """Every post of `watch` counted in the buckets of [start, end): pk, sentiment, topics."""
    query = select(
        TREND_COUNTED.c.post_pk, TREND_COUNTED.c.sentiment, TREND_COUNTED.c.topics
    ).where(
        TREND_COUNTED.c.watch == watch,
        TREND_COUNTED.c.bucket_start >= start,
        TREND_COUNTED.c.bucket_start < end,
    )
    return list(conn.execute(query))


def counted_by(rows: Iterable[Any], *, kind: str, topic: str) -> frozenset[int]:
    """The posts among `rows` that a rule of `kind` on `topic` ("" = all) counts."""
    negative = kind != "volume_spike"
    return frozenset(
        r.post_pk
        for r in rows
        if (not negative or r.sentiment == "negative")
        and (not topic or topic in r.topics.split(","))
    )


def overlap(a: frozenset[int], b: frozenset[int]) -> float:
    """|a & b| / min(|a|, |b|): 1.0 when one set lies inside the other, 0.0 if either is empty."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
