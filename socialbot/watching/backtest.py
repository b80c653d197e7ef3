"""Measuring the detector: synthetic streams with a daily rhythm, Poisson noise and
planted incidents of known size, scanned exactly as the alerts stage judges buckets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np

from socialbot.watching.episodes import EpisodeState, step
from socialbot.watching.spike import Counts, RuleParams, evaluate

#: posts per hour of day (UTC) relative to the daily peak: quiet nights, busy evenings
DAILY_PROFILE = np.array(
    [
        0.25,
        0.15,
        0.1,
        0.08,
        0.08,
        0.12,
        0.25,
        0.45,
        0.65,
        0.75,
        0.8,
        0.85,
        0.9,
        0.85,
        0.8,
        0.8,
        0.85,
        0.9,
        1.0,
        1.0,
        0.95,
        0.8,
        0.6,
        0.4,
    ]
)
#: Monday .. Sunday
WEEKLY_PROFILE = np.array([1.0, 0.95, 0.95, 1.0, 1.05, 0.85, 0.8])
T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday


@dataclass(frozen=True, slots=True)
class Incident:
    """From bucket `start` for `length` buckets, the counted posts run at `multiplier` x normal."""

    start: int
    length: int
    multiplier: float


@dataclass
class Stream:
    """Counts per bucket for one synthetic watch/topic."""

    target: np.ndarray
    total: np.ndarray
    incidents: list[Incident] = field(default_factory=list)


def expected_rate(days: int, *, peak_per_hour: float, bucket: float = 900) -> np.ndarray:
    """The normal expected count per bucket: daily rhythm x day of week."""
    per_day = int(86400 // bucket)
    hours = (np.arange(days * per_day) * bucket // 3600).astype(int)
    rate = peak_per_hour * DAILY_PROFILE[hours % 24] * WEEKLY_PROFILE[(hours // 24) % 7]
    return rate * bucket / 3600


def synthetic_stream(
    rng: np.random.Generator,
    days: int,
    *,
    peak_per_hour: float,
    share: float = 1.0,
    incidents: list[Incident] = (),  # type: ignore[assignment]
    bucket: float = 900,
    day_spread: float = 0.0,
) -> Stream:
    """Poisson counts around `expected_rate`; the counted posts are `share` of all posts.

    `day_spread` > 0 makes each day's level vary (log-normal, that relative spread),
    as news and campaigns do, so counts are over-dispersed. Incidents add counted
    posts only (a negative surge), so the share rises too.
    """
    rate = expected_rate(days, peak_per_hour=peak_per_hour, bucket=bucket)
    if day_spread:
        per_day = int(86400 // bucket)
        level = rng.lognormal(-(day_spread**2) / 2, day_spread, size=days)
        rate = rate * np.repeat(level, per_day)
    boosted = rate.copy()
    for inc in incidents:
        boosted[inc.start : inc.start + inc.length] *= inc.multiplier
    target = rng.poisson(boosted)
    others = rng.poisson(rate * (1 / share - 1)) if share < 1 else np.zeros_like(target)
    return Stream(target, target + others, list(incidents))


@dataclass(frozen=True, slots=True)
class Raised:
    """An alert the scan raised: the bucket index where it opened and where it resolved."""

    opened: int
    resolved: int | None


def scan(
    stream: Stream,
    params: RuleParams,
    *,
    cooldown_buckets: int,
    start: int = 0,
    stop: int | None = None,
    bucket: float = 900,
) -> list[Raised]:
    """Judge every window end in [start, stop) as the alerts stage would, in order."""
    counts = Counts(stream.target, stream.total)
    stop = len(counts) if stop is None else stop
    state = EpisodeState()
    cooldown = timedelta(seconds=cooldown_buckets * bucket)
    raised: list[Raised] = []
    for end in range(max(start, 1), stop + 1):
        ev = evaluate(counts, end, params, continuing=state.open)
        state, event = step(state, T0 + timedelta(seconds=end * bucket), ev, cooldown=cooldown)
        if event == "opened":
            raised.append(Raised(end, None))
        elif event == "resolved":
            raised[-1] = Raised(raised[-1].opened, end)
    return raised
