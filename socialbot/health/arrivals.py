"""A source's normal arrival rate per hour of day, learned from its stored posts.

The rate is learned from the posts' own times (`created_at`), not from when a
poll stored them: a first poll stores a week of backlog at once, and arrivals
bunch at the poll interval, while the posts' times keep the audience's rhythm
(a source that recovers from an outage fills its gap the same way).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from socialbot.store.ingest import POSTS

_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ArrivalRate:
    """Posts per hour at each hour of the day (UTC), and how much history taught it."""

    per_hour: tuple[float, ...]
    history: timedelta

    def at(self, when: datetime) -> float:
        return self.per_hour[when.hour]

    def expected(self, start: datetime, end: datetime) -> float:
        """How many posts usually arrive in [start, end), hour by hour of the day."""
        total, t = 0.0, start
        while t < end:
            next_hour = t.replace(minute=0, second=0, microsecond=0) + _HOUR
            step = min(next_hour, end) - t
            total += self.per_hour[t.hour] * (step / _HOUR)
            t += step
        return total

    def quiet_period(self, start: datetime, *, sensitivity: float,
                     longest: timedelta = timedelta(days=14)) -> timedelta | None:
        """How long after `start` no post at all becomes as unlikely as `sensitivity`."""
        needed, total, t = -math.log(sensitivity), 0.0, start
        while t - start < longest:
            rate = self.per_hour[t.hour]
            next_hour = t.replace(minute=0, second=0, microsecond=0) + _HOUR
            part = (next_hour - t) / _HOUR
            if total + rate * part >= needed:
                return t + _HOUR * ((needed - total) / rate) - start
            total += rate * part
            t = next_hour
        return None


def learn_rate(conn: Connection, source: str, *, until: datetime, days: int) -> ArrivalRate | None:
    """The source's rate from its posts of the `days` before `until`; None without any."""
    since = until - timedelta(days=days)
    created = [
        c for (c,) in conn.execute(
            select(POSTS.c.created_at).where(
                POSTS.c.source == source, POSTS.c.created_at >= since,
                POSTS.c.created_at < until))
    ]
    if not created:
        return None
    start = max(since, min(created))
    counts = [0] * 24
    for c in created:
        counts[c.hour] += 1
    hours = [0.0] * 24  # how many hours of each hour of the day the history covers
    t = start
    while t < until:
        next_hour = t.replace(minute=0, second=0, microsecond=0) + _HOUR
        step = min(next_hour, until) - t
        hours[t.hour] += step / _HOUR
        t += step
    overall = len(created) / max(sum(hours), 1e-9)
    per_hour = tuple(counts[h] / hours[h] if hours[h] >= 1 else overall for h in range(24))
    return ArrivalRate(per_hour, until - start)


def last_arrival(conn: Connection, source: str) -> datetime | None:
    """When the source last stored a new post (for sources older than `source_health`)."""
    newest: datetime | None = conn.execute(
        select(func.max(POSTS.c.ingested_at)).where(POSTS.c.source == source)
    ).scalar_one()
    return newest
