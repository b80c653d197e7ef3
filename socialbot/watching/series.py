"""Reading trends back: dense count series per group, rolled up to any coarser bucket."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
from sqlalchemy import Connection, func, select

from socialbot.watching.counting import bucket_start
from socialbot.watching.tables import ALL_TOPICS, TREND_BUCKETS

GroupBy = Literal["topic", "sentiment", "platform"]


@dataclass
class Series:
    """Counts per bucket from `start` (inclusive), `width` seconds each, one array per group."""

    start: datetime
    width: float
    buckets: int
    groups: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def times(self) -> list[datetime]:
        return [self.start + timedelta(seconds=self.width * i) for i in range(self.buckets)]

    def total(self) -> np.ndarray:
        out = np.zeros(self.buckets, dtype=np.int64)
        for values in self.groups.values():
            out += values
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "bucket_seconds": self.width,
            "times": [t.isoformat() for t in self.times],
            "series": {k: [int(x) for x in v] for k, v in sorted(self.groups.items())},
        }


def load_series(
    conn: Connection,
    watch: str,
    *,
    start: datetime,
    end: datetime,
    width: float,
    by: GroupBy | None = None,
    topic: str | None = None,
    sentiment: str | None = None,
    platform: str | None = None,
) -> Series:
    """Posts of `watch` in [start, end) per `width`-second bucket, grouped `by` a dimension.

    `width` must be a multiple of the stored base bucket. Without `topic`, each
    post counts once (the all-topics row) unless grouping by topic, where a post
    with two topics counts in both.
    """
    start = bucket_start(start, width)
    n = max(0, int(np.ceil((end - start).total_seconds() / width)))
    series = Series(start=start, width=width, buckets=n)
    if n == 0:
        return series
    t = TREND_BUCKETS.c
    where = [t.watch == watch, t.bucket_start >= start, t.bucket_start < end]
    if topic is not None:
        where.append(t.topic == topic)
    elif by == "topic":
        where.append(t.topic != ALL_TOPICS)
    else:
        where.append(t.topic == ALL_TOPICS)
    if sentiment is not None:
        where.append(t.sentiment == sentiment)
    if platform is not None:
        where.append(t.platform == platform)
    group_col = {"topic": t.topic, "sentiment": t.sentiment, "platform": t.platform}.get(by or "")
    cols = [t.bucket_start, func.sum(t.posts)]
    if group_col is not None:
        cols.insert(0, group_col)
    query = select(*cols).where(*where).group_by(*cols[:-1])
    acc: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n, dtype=np.int64))
    t0 = start.timestamp()
    for row in conn.execute(query):
        key = str(row[0]) if group_col is not None else "posts"
        at = row[-2]
        acc[key][int((at.timestamp() - t0) // width)] += int(row[-1])
    series.groups = dict(acc)
    return series


def first_bucket(conn: Connection, watch: str) -> datetime | None:
    """When the watch's oldest counted bucket starts (None: nothing counted yet)."""
    t = TREND_BUCKETS.c
    return conn.execute(select(func.min(t.bucket_start)).where(t.watch == watch)).scalar_one()


def last_bucket(conn: Connection, watch: str) -> datetime | None:
    t = TREND_BUCKETS.c
    return conn.execute(select(func.max(t.bucket_start)).where(t.watch == watch)).scalar_one()
