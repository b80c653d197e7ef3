"""The one backoff policy every retry waits by (connectors, source polls, alert delivery)."""

from __future__ import annotations

import random

import pytest

from socialbot.backoff import Backoff


def test_waits_double_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(base=30.0, cap=900.0)
    assert [backoff.delay(n) for n in range(7)] == [30, 60, 120, 240, 480, 900, 900]
    assert backoff.delay(10_000) == 900  # no overflow after a very long outage


@pytest.mark.parametrize("jitter", [0.5, 1.0])
def test_jitter_waits_between_its_share_and_all_of_the_wait(jitter: float) -> None:
    backoff = Backoff(base=2.0, cap=900.0, jitter=jitter)
    rng = random.Random(7)
    waits = [backoff.delay(3, rng) for _ in range(200)]
    assert all(16 * (1 - jitter) <= w <= 16 for w in waits)
    assert len(set(waits)) > 100  # workers do not retry in step


@pytest.mark.parametrize("bad", [{"base": -1.0, "cap": 1.0}, {"base": 1.0, "cap": 1.0,
                                                                "jitter": 1.5}])
def test_a_policy_that_cannot_wait_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**bad)
