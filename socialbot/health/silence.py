"""When a source counts as silent: the platform answers, but nothing new arrives for too long.

"Too long" is learned per source and per hour of the day: a silence is judged
against the posts the source usually brings in those very hours, so a quiet
night is not an alert and a dead afternoon is. The alert goes once the chance
of seeing no post at all in the silent span (Poisson, at the learned rate) is at
most `[health] silent_sensitivity`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from socialbot.config import HealthConfig
from socialbot.health.arrivals import ArrivalRate


@dataclass(frozen=True, slots=True)
class Silence:
    """A silence long enough to alert on, with the numbers that made it so."""

    since: datetime
    expected: float
    probability: float
    line: str
    method: str


def judge_silence(
    health: Any, rate: ArrivalRate | None, *, since: datetime | None, now: datetime,
    settings: HealthConfig,
) -> Silence | None:
    """A Silence when `health` (a source_health row) shows one, else None.

    A failing source is `source_failing`'s business; without enough history, or
    without an answered poll since the last arrival, nothing is judged.
    """
    if since is None or rate is None or health is None or health.failures:
        return None
    if health.last_answer_at is None or health.last_answer_at <= since:
        return None  # no poll was answered since: the pages are not coming back empty
    if rate.history < timedelta(seconds=settings.min_history):
        return None
    quiet = now - since
    if quiet < timedelta(seconds=settings.min_silence):
        return None
    expected = rate.expected(since, now)
    probability = math.exp(-expected)
    if probability > settings.silent_sensitivity:
        return None
    polls = health.empty_polls
    line = (f"no new post for {duration(quiet)} although ~{expected:.0f} usually arrive in "
            f"those hours; the platform answers ({polls} empty poll{'s' * (polls != 1)} in a "
            "row): a revoked token, a query that no longer matches, a subreddit gone private?")
    period = rate.quiet_period(since, sensitivity=settings.silent_sensitivity)
    method = (f"learned from {duration(rate.history)} of posts, per hour of day (UTC): "
              f"{rate.at(now):.1f} posts/h at this hour; a silence alerts once its chance "
              f"is at most {settings.silent_sensitivity:g}"
              + (f" (here after {duration(period)})" if period else ""))
    return Silence(since, expected, probability, line, method)


def duration(span: timedelta) -> str:
    """`2d 3h`, `5h 12m` or `40m`: what a person reads in an alert."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"
