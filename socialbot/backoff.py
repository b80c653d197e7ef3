"""The one backoff policy: capped exponential waits, optionally jittered.

Retries in place (`connectors.retry`), a failing source's next poll
(`socialbot.health.polls`) and an alert delivery's next try (`socialbot.watching.outbox`)
all wait `Backoff.delay`. Plain standard library, so the connectors may use it too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: 2**60 is far past any cap; a larger exponent would only overflow the float
_MAX_DOUBLINGS = 60


@dataclass(frozen=True, slots=True)
class Backoff:
    """Wait `base` seconds before the first retry, doubling per retry up to `cap`.

    `jitter` is the share of the wait left to chance so many workers do not retry in
    step: 0 waits exactly, 0.5 waits between half and all of it, 1 ("full jitter")
    anywhere from none to all of it.
    """

    base: float
    cap: float
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0:
            raise ValueError("base and cap must not be negative")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number `retry` (0 = the first retry)."""
        wait = min(self.cap, self.base * 2.0 ** min(retry, _MAX_DOUBLINGS))
        if not self.jitter:
            return wait
        return wait * (rng or random).uniform(1.0 - self.jitter, 1.0)
