"""Capped exponential backoff with jitter for the short faults worth retrying in place.

Long waits (a rate-limit reset) are not retried here: they become `RateLimited`
so the scheduler can run other sources meanwhile.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from connectors.base import ConnectorError, TransientError
from socialbot.backoff import Backoff

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Maps an SDK exception to our tree; `None` means "not ours, let it propagate".
Translate = Callable[[Exception], ConnectorError | None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a transient fault before giving up."""

    attempts: int = 4  # total tries, the first one included
    base: float = 0.5  # seconds before the first retry (before jitter)
    cap: float = 8.0  # no single wait is longer than this

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        Backoff(self.base, self.cap)  # checks them

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (0-based): "full jitter"."""
        return Backoff(self.base, self.cap, jitter=1.0).delay(retry, rng)


def call_with_retries(
    call: Callable[[], T],
    *,
    translate: Translate,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    rng: random.Random,
    what: str,
) -> T:
    """Run `call`, retrying while it fails with what `translate` calls transient.

    Every failure is raised as the ConnectorError `translate` made of it (chained
    to the original); a TransientError only once `policy.attempts` are used up.
    A retry waits the policy's backoff, or the error's `retry_after` when longer.
    """
    for attempt in range(policy.attempts):
        try:
            return call()
        except ConnectorError:
            raise
        except Exception as exc:
            error = translate(exc)
            if error is None:
                raise
            if not isinstance(error, TransientError) or attempt + 1 >= policy.attempts:
                raise error from exc
            # never sooner than the server asked (a short Retry-After on a 429 or 503)
            wait = max(policy.delay(attempt, rng), error.retry_after)
            logger.warning(
                "%s failed (%s); retry %d of %d in %.1fs",
                what, error, attempt + 1, policy.attempts - 1, wait,
            )
            sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
