"""One pace for all Reddit sources sharing an OAuth client id.

Reddit allows 100 requests a minute per OAuth client, averaged over 10 minutes,
and reports the client's standing in every answer: `X-Ratelimit-Used`,
`X-Ratelimit-Remaining` and `X-Ratelimit-Reset` (seconds until the window
renews); praw's `reddit.auth.limits` shows the same numbers. Those counters
belong to the client id, not to a source, so every source using one client id
in this process shares one `RedditPace`: the first half of a window's requests
go out as fast as asked, the rest are spaced evenly until the reset, and a
source whose turn is further off than `MAX_SLEEP` is parked (RateLimited)
instead of holding a worker thread.

Across processes: each process has its own pace, but all of them read the
same server-side counters, so every process slows down as the shared
`Remaining` falls. Their turns are not coordinated, so near the end of a
window they can together overshoot by a few requests; Reddit answers those with
429, which parks the source until the reset (see reddit_client.translate). Run
the Reddit sources of one client id in one process, or give each process its
own client id, to stay clear of that.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from connectors.base import RateLimited

#: the longest pause slept in a worker thread; a longer one parks the source instead
MAX_SLEEP = 10.0


class RedditPace:
    """When the next request of one Reddit client id may go out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.remaining: float | None = None
        self.used = 0.0
        self.reset_at = 0.0
        self._next_at = 0.0

    def observe(self, headers: Mapping[str, str], now: float) -> None:
        """Take the client's standing from an answer's `X-Ratelimit-*` headers."""
        try:
            remaining = float(headers["x-ratelimit-remaining"])
            used = float(headers.get("x-ratelimit-used", 0))
            reset = float(headers.get("x-ratelimit-reset", 60))
        except (KeyError, ValueError):
            return  # the token endpoint (and proxies) send none
        with self._lock:
            self.remaining, self.used, self.reset_at = remaining, used, now + reset

    def gap(self, now: float) -> float:
        """Seconds between requests now: none while half the window is left, then the
        requests left spread evenly over the time left."""
        if self.remaining is None or now >= self.reset_at:
            return 0.0
        if self.remaining >= (self.used + self.remaining) / 2:
            return 0.0
        return (self.reset_at - now) / max(self.remaining, 1.0)

    def reserve(self, now: float) -> float:
        """Take the next turn; return how long to sleep before sending.

        Raises RateLimited (with the time to come back) when the client has no
        requests left, or its turn is more than MAX_SLEEP away.
        """
        with self._lock:
            if self.remaining is not None and now >= self.reset_at:
                self.remaining = None  # a new window: the next answer says how it stands
            if self.remaining is not None and self.remaining < 1:
                raise RateLimited("Reddit rate limit used up", retry_at=self.reset_at)
            at = max(now, self._next_at)
            if at - now > MAX_SLEEP:
                raise RateLimited("Reddit requests paced: few left in this window",
                                  retry_at=at)
            self._next_at = at + self.gap(now)
            if self.remaining is not None:
                # until the answer brings the real count, assume this request used one
                self.remaining -= 1
                self.used += 1
            return at - now


_PACES: dict[str, RedditPace] = {}
_PACES_LOCK = threading.Lock()


def pace_for(client_id: str) -> RedditPace:
    """The process's one pace for `client_id`."""
    with _PACES_LOCK:
        return _PACES.setdefault(client_id, RedditPace())


def forget_paces() -> None:
    """Drop every pace (tests start each from a fresh process's view)."""
    with _PACES_LOCK:
        _PACES.clear()
