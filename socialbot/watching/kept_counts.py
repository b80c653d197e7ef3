"""Trend counts of posts no longer stored (retention, `forget`, the compliance check).

Erasing a post keeps what it added to `trend_buckets` (an aggregate that names
nobody) and drops its `trend_counted` row, so the buckets hold more than the stored
posts account for. A recount (`socialbot trends --rebuild`) cannot count those posts
again; it carries their counts over instead, which works when the new width is a
multiple of the old one (each old bucket then lies inside one new bucket).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, select

from socialbot.errors import ConfigError
from socialbot.watching.counting import BucketKey, bucket_start
from socialbot.watching.tables import ALL_TOPICS, TREND_BUCKETS, TREND_COUNTED


class KeptCountsMismatch(ConfigError):
    """A recount would have to split the kept counts of erased posts across buckets."""


def counts_without_posts(conn: Connection) -> Counter[BucketKey]:
    """What the buckets hold beyond what the stored, counted posts added."""
    kept: Counter[BucketKey] = Counter()
    c = TREND_BUCKETS.c
    for w, t, b, s, p, n in conn.execute(select(c.watch, c.topic, c.bucket_start, c.sentiment,
                                                c.platform, c.posts)):
        kept[(w, t, b, s, p)] += n
    rows = conn.execute(select(TREND_COUNTED.c.watch, TREND_COUNTED.c.bucket_start,
                               TREND_COUNTED.c.sentiment, TREND_COUNTED.c.platform,
                               TREND_COUNTED.c.topics))
    for watch, at, sentiment, platform, topics in rows:
        for topic in (ALL_TOPICS, *(t for t in topics.split(",") if t)):
            kept[(watch, topic, at, sentiment, platform)] -= 1
    return Counter({k: n for k, n in kept.items() if n > 0})


def rebin(kept: Counter[BucketKey], *, stored: float, width: float) -> Counter[BucketKey]:
    """The kept counts in `width`-second buckets; refuses to split one."""
    if not kept or width == stored:
        return kept
    if width % stored:
        posts = sum(n for (_, topic, *_), n in kept.items() if topic == ALL_TOPICS)
        raise KeptCountsMismatch(
            f"{posts} erased posts are kept only as counts in {stored:g}s buckets, which "
            f"cannot be split into {width:g}s buckets: choose a [trends] bucket that is a "
            f"multiple of {stored:g}s")
    out: Counter[BucketKey] = Counter()
    for (w, t, b, s, p), n in kept.items():
        out[(w, t, bucket_start(b, width), s, p)] += n
    return out


def restore(conn: Connection, counts: Counter[BucketKey]) -> None:
    """Write `counts` into the (emptied) buckets."""
    rows = [{"watch": w, "topic": t, "bucket_start": b, "sentiment": s, "platform": p,
             "posts": n} for (w, t, b, s, p), n in sorted(counts.items())]
    if rows:
        conn.execute(TREND_BUCKETS.insert(), rows)
