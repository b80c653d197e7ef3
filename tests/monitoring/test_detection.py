"""The spike detector: quiet data stays quiet, planted incidents are found, one alert each.

A smaller version of bench/bench_detection.py (which reports the full figures).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from socialbot.config import AlertRuleConfig
from socialbot.watching.backtest import Incident, scan, synthetic_stream
from socialbot.watching.episodes import EpisodeState, step
from socialbot.watching.spike import Counts, Evaluation, RuleParams, evaluate, nb_tail

PER_DAY = 96


def _params(kind: str = "negative_spike", **options: object) -> tuple[RuleParams, int]:
    rule = AlertRuleConfig(kind=kind, **options)  # type: ignore[arg-type]
    return RuleParams.from_config(rule, bucket=900), int(rule.cooldown // 900)


@pytest.mark.parametrize(
    ("kind", "peak", "share"),
    [
        ("negative_spike", 2.0, 0.3),
        ("negative_spike", 10.0, 0.3),
        ("volume_spike", 30.0, 1.0),
    ],
)
def test_a_quiet_month_with_a_daily_rhythm_raises_at_most_one_alert(
    kind: str, peak: float, share: float
) -> None:
    params, cooldown = _params(kind)
    stream = synthetic_stream(np.random.default_rng(7), 31, peak_per_hour=peak, share=share)
    assert len(scan(stream, params, cooldown_buckets=cooldown, start=PER_DAY)) <= 1


@pytest.mark.parametrize("kind", ["negative_spike", "volume_spike"])
def test_incidents_of_3x_for_2_hours_are_found_within_the_incident(kind: str) -> None:
    params, cooldown = _params(kind)
    rng = np.random.default_rng(11)
    found = 0
    for run in range(20):
        start = (8 + run % 5) * PER_DAY + 40 + 2 * run  # 10:00-ish .. 19:00-ish
        incident = Incident(start, 8, 3.0)
        stream = synthetic_stream(
            rng,
            start // PER_DAY + 2,
            peak_per_hour=20.0,
            share=0.3 if kind == "negative_spike" else 1.0,
            incidents=[incident],
        )
        raised = scan(stream, params, cooldown_buckets=cooldown, start=start - PER_DAY)
        hits = [r for r in raised if start < r.opened <= start + 8]
        assert len(raised) <= 1, "one incident must give one alert"
        found += bool(hits)
    assert found >= 19


def test_one_incident_gives_one_alert_however_long_it_lasts() -> None:
    params, cooldown = _params()
    start = 9 * PER_DAY + 48
    incident = Incident(start, 6 * 4, 4.0)  # six hours
    stream = synthetic_stream(
        np.random.default_rng(3), 11, peak_per_hour=10.0, share=0.3, incidents=[incident]
    )
    raised = scan(stream, params, cooldown_buckets=cooldown, start=start - PER_DAY)
    assert len(raised) == 1
    assert raised[0].resolved is not None
    assert raised[0].resolved >= start + 24 + cooldown  # resolved only after a quiet cooldown


def test_low_counts_never_alert_below_min_posts() -> None:
    params, _ = _params(min_posts=6)
    target = np.zeros(10 * PER_DAY, dtype=int)
    target[-4:] = [1, 2, 1, 1]  # 5 posts in the last hour after days of silence
    ev = evaluate(Counts(target, target * 3), len(target), params, history_start=0)
    assert ev.observed == 5 and not ev.anomalous


def test_no_alert_without_a_day_of_history() -> None:
    params, _ = _params()
    target = np.zeros(PER_DAY // 2, dtype=int)
    target[-4:] = 20
    ev = evaluate(Counts(target, target), len(target), params)
    assert not ev.anomalous and ev.score == 1.0


def test_a_baseline_seen_over_few_windows_is_less_certain() -> None:
    # The same mean (2 per window), learned from 1 window or from 7.
    assert nb_tail(8, 2, 1) > nb_tail(8, 14, 7) > 0
    assert nb_tail(0, 5, 3) == 1.0


def test_episodes_open_escalate_and_resolve() -> None:
    t = datetime(2026, 11, 6, 14, tzinfo=timezone.utc)
    cooldown = timedelta(hours=3)

    def ev(observed: int, anomalous: bool) -> Evaluation:
        return Evaluation(anomalous, 4, observed, observed, 1.0, 1e-6 if anomalous else 0.5)

    state = EpisodeState()
    events = []
    for i, (n, hot) in enumerate(
        [(9, True), (12, True), (20, True), (3, False), (2, False), (1, False), (1, False)]
    ):
        state, event = step(state, t + timedelta(hours=i), ev(n, hot), cooldown=cooldown)
        events.append(event)
    assert events == ["opened", "updated", "escalated", None, None, "resolved", None]
