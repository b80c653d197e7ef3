"""Time as the stages see it: the wall clock, or the posts' own time during replay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    """Real time, for the daemon."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class StreamClock:
    """Time as far as a replayed archive has got: the newest post seen so far.

    Replaying the same file therefore makes time-based stages (buckets, alerts)
    see exactly the same sequence of "now"s every time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(1970, 1, 1, tzinfo=UTC)

    def advance(self, to: datetime) -> None:
        if to > self._now:
            self._now = to

    def now(self) -> datetime:
        return self._now
