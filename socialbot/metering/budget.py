"""How a monthly read budget paces a source: full speed, slower as it runs low, then stopped.

Up to `SLOW_FROM` of the budget a source polls as configured. In the last part,
each fetch asks for fewer posts (down to the platform's smallest page) and the
fetches are spaced so the posts left last until the month ends. A source stops
when fewer posts are left than its smallest page, so a fetch can never take it
past the budget; it starts again on the 1st of the next month (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

#: the share of the month's budget after which polling slows down
SLOW_FROM = 0.8


def month_start(now: datetime) -> date:
    """The first day of `now`'s UTC month."""
    return now.astimezone(UTC).date().replace(day=1)


def month_begins(now: datetime) -> datetime:
    """Midnight UTC on the 1st of `now`'s month."""
    first = month_start(now)
    return datetime(first.year, first.month, 1, tzinfo=UTC)


def next_month(now: datetime) -> datetime:
    """Midnight UTC on the 1st of the month after `now`'s: when a spent budget renews."""
    first = month_start(now)
    following = (first + timedelta(days=32)).replace(day=1)
    return datetime(following.year, following.month, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Allowance:
    """What the budget lets a source do right now."""

    #: posts the next fetch may ask for; 0 = do not fetch now
    limit: int
    used: int
    budget: int
    #: the month's budget cannot pay for another page
    stopped: bool = False
    #: set while slowed down: no fetch before this time
    not_before: datetime | None = None

    @property
    def slowed(self) -> bool:
        return not self.stopped and self.used >= self.budget * SLOW_FROM


def allowance(
    *, budget: int, used: int, page_size: int, smallest_page: int, now: datetime,
    last_fetch: datetime | None,
) -> Allowance:
    """The page size and timing a source with `used` of `budget` posts read may fetch with."""
    remaining = budget - used
    if remaining < smallest_page:
        return Allowance(0, used, budget, stopped=True)
    limit = min(page_size, remaining)
    slow_zone = budget * (1 - SLOW_FROM)
    if remaining >= slow_zone:
        return Allowance(limit, used, budget)
    # 1.0 where slowing starts, near 0 at the end: pages shrink with what is left ...
    left = remaining / slow_zone
    limit = min(remaining, max(smallest_page, int(page_size * left)))
    # ... and fetches are spaced so what is left lasts until the budget renews
    per_second = remaining / max((next_month(now) - now).total_seconds(), 1.0)
    gap = timedelta(seconds=limit / per_second)
    not_before = last_fetch + gap if last_fetch else None
    if not_before is not None and now < not_before:
        return Allowance(0, used, budget, not_before=not_before)
    return Allowance(limit, used, budget, not_before=not_before)
