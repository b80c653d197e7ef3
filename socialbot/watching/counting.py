"""Adding classified posts to the trend buckets, incrementally and exactly once.

Each prediction is claimed by writing a `trend_counted` row in the same
transaction that adds it to `trend_buckets`, so a crash leaves either both or
neither. A post classified again (newer `classified_at`) is subtracted with what
it added before and counted anew.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, func, or_, select

from socialbot.store.dialect import dialect_insert
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
from socialbot.watching.tables import ALL_TOPICS, TREND_BUCKETS, TREND_COUNTED

BucketKey = tuple[str, str, datetime, str, str]  # watch, topic, bucket_start, sentiment, platform


def bucket_start(at: datetime, width: float) -> datetime:
    """The start of the `width`-second bucket holding `at` (buckets align to the epoch)."""
    ts = at.timestamp()
    return datetime.fromtimestamp(ts - ts % width, timezone.utc)


@dataclass(frozen=True, slots=True)
class Counted:
    """What one prediction adds to the buckets."""

    post_pk: int
    watch: str
    bucket_start: datetime
    platform: str
    sentiment: str
    topics: tuple[str, ...]
    classified_at: datetime

    def bucket_keys(self) -> Iterable[BucketKey]:
        for topic in (ALL_TOPICS, *self.topics):
            yield (self.watch, topic, self.bucket_start, self.sentiment, self.platform)

    def row(self) -> dict[str, Any]:
        return {
            "post_pk": self.post_pk,
            "watch": self.watch,
            "bucket_start": self.bucket_start,
            "platform": self.platform,
            "sentiment": self.sentiment,
            "topics": ",".join(self.topics),
            "classified_at": self.classified_at,
        }


def pending_count(conn: Connection) -> int:
    """Predictions not yet in the buckets (or re-classified since)."""
    query = (
        select(func.count())
        .select_from(PREDICTIONS)
        .outerjoin(TREND_COUNTED, TREND_COUNTED.c.post_pk == PREDICTIONS.c.post_pk)
        .where(_uncounted())
    )
    return int(conn.execute(query).scalar_one())


def oldest_uncounted(conn: Connection, *, since: datetime) -> datetime | None:
    """When the oldest post from `since` on that is not yet in the buckets was written.

    Posts without a prediction count as not yet counted: the alerts stage waits
    for them so a bucket is never judged on half of its posts.
    """
    query = (
        select(func.min(POSTS.c.created_at))
        .outerjoin(TREND_COUNTED, TREND_COUNTED.c.post_pk == POSTS.c.id)
        .where(POSTS.c.created_at >= since, TREND_COUNTED.c.post_pk.is_(None))
    )
    return conn.execute(query).scalar_one()


def _uncounted() -> Any:
    return or_(
        TREND_COUNTED.c.post_pk.is_(None),
        TREND_COUNTED.c.classified_at < PREDICTIONS.c.classified_at,
    )


def count_batch(conn: Connection, *, bucket: float, limit: int) -> int:
    """Add up to `limit` uncounted predictions to the buckets; return how many.

    Runs inside the caller's transaction. On PostgreSQL the predictions are
    locked with SKIP LOCKED so parallel workers take different posts.
    """
    claim = (
        select(
            PREDICTIONS.c.post_pk,
            PREDICTIONS.c.sentiment,
            PREDICTIONS.c.classified_at,
            func.coalesce(PREDICTIONS.c.watch, POSTS.c.watch, "").label("watch"),
            POSTS.c.platform,
            POSTS.c.created_at,
            TREND_COUNTED.c.post_pk.label("counted_pk"),
        )
        .join(POSTS, POSTS.c.id == PREDICTIONS.c.post_pk)
        .outerjoin(TREND_COUNTED, TREND_COUNTED.c.post_pk == PREDICTIONS.c.post_pk)
        .where(_uncounted())
        .order_by(PREDICTIONS.c.post_pk)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        claim = claim.with_for_update(of=PREDICTIONS, skip_locked=True)
    rows = conn.execute(claim).all()
    if not rows:
        return 0
    pks = [r.post_pk for r in rows]
    topics: dict[int, list[str]] = {pk: [] for pk in pks}
    for pk, topic in conn.execute(
        select(POST_TOPICS.c.post_pk, POST_TOPICS.c.topic)
        .where(POST_TOPICS.c.post_pk.in_(pks))
        .order_by(POST_TOPICS.c.post_pk, POST_TOPICS.c.topic)
    ):
        topics[pk].append(topic)
    delta: Counter[BucketKey] = Counter()
    recounted = [r.post_pk for r in rows if r.counted_pk is not None]
    if recounted:
        for old in conn.execute(
            select(TREND_COUNTED).where(TREND_COUNTED.c.post_pk.in_(recounted))
        ):
            for key in _from_row(old).bucket_keys():
                delta[key] -= 1
        conn.execute(TREND_COUNTED.delete().where(TREND_COUNTED.c.post_pk.in_(recounted)))
    counted = [
        Counted(
            r.post_pk,
            r.watch,
            bucket_start(r.created_at, bucket),
            r.platform,
            r.sentiment,
            tuple(topics[r.post_pk]),
            r.classified_at,
        )
        for r in rows
    ]
    for c in counted:
        for key in c.bucket_keys():
            delta[key] += 1
    conn.execute(dialect_insert(conn, TREND_COUNTED), [c.row() for c in counted])
    _apply(conn, delta, prune=bool(recounted))
    return len(rows)


def _from_row(row: Any) -> Counted:
    topics = tuple(t for t in row.topics.split(",") if t)
    return Counted(
        row.post_pk,
        row.watch,
        row.bucket_start,
        row.platform,
        row.sentiment,
        topics,
        row.classified_at,
    )


def _apply(conn: Connection, delta: Counter[BucketKey], *, prune: bool) -> None:
    """Upsert `posts = posts + delta` for every changed bucket."""
    rows = [
        {"watch": w, "topic": t, "bucket_start": b, "sentiment": s, "platform": p, "posts": n}
        for (w, t, b, s, p), n in sorted(delta.items())
        if n
    ]
    if not rows:
        return
    stmt = dialect_insert(conn, TREND_BUCKETS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["watch", "topic", "bucket_start", "sentiment", "platform"],
        set_={"posts": TREND_BUCKETS.c.posts + stmt.excluded.posts},
    )
    conn.execute(stmt, rows)
    if prune:  # a re-classified post may have emptied a bucket
        conn.execute(TREND_BUCKETS.delete().where(TREND_BUCKETS.c.posts <= 0))
