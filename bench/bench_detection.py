"""Spike detection quality on synthetic streams, with the default rule settings.

Streams have a daily and weekly rhythm and Poisson noise (15-minute buckets).
Quiet streams measure false alerts per simulated week and month; streams with one
planted incident (N x the normal rate of the counted posts for 2 hours, starting
at a random daytime bucket) measure the detection rate and delay.

    python bench/bench_detection.py [--months 12] [--incidents 200] [--seed 1]

An incident counts as detected when an alert opens between its start and one
hour after its end; any other alert is a false one.

The "bound" column is what no detector can beat at the target's false-alert
budget: an oracle that knows the normal rate exactly and judges exactly the
incident's 2 hours, alerting when that count's Poisson tail is at most 1/360
(one false alert a month if it judged each of a month's 360 two-hour spans
once). Where the bound is below 100%, "every incident found" is out of reach
for any method at that volume.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from socialbot.config import AlertRuleConfig
from socialbot.watching.backtest import Incident, expected_rate, scan, synthetic_stream
from socialbot.watching.spike import RuleParams

BUCKET = 900
PER_DAY = 96
#: the oracle's tail-probability cut-off: one false alert per 360 two-hour spans (a month)
ORACLE_ALPHA = 1 / 360


OVERRIDES: dict[str, float] = {}
DAY_SPREAD = [0.0]


def params_for(kind: str) -> tuple[RuleParams, int]:
    rule = AlertRuleConfig(kind=kind, **OVERRIDES)  # type: ignore[arg-type]
    return RuleParams.from_config(rule, bucket=BUCKET), int(rule.cooldown // BUCKET)


def quiet(kind: str, peak: float, days: int, seed: int) -> tuple[int, float]:
    """False alerts over `days` of incident-free data (after one day of warm-up)."""
    params, cooldown = params_for(kind)
    rng = np.random.default_rng(seed)
    share = 0.3 if kind == "negative_spike" else 1.0
    stream = synthetic_stream(rng, days, peak_per_hour=peak, share=share, day_spread=DAY_SPREAD[0])
    raised = scan(stream, params, cooldown_buckets=cooldown, start=PER_DAY)
    return len(raised), days - 1


def incidents(kind: str, peak: float, multiplier: float, runs: int, seed: int) -> dict[str, float]:
    """Detection rate, median delay and stray alerts over `runs` planted incidents."""
    params, cooldown = params_for(kind)
    rng = np.random.default_rng(seed)
    share = 0.3 if kind == "negative_spike" else 1.0
    detected, delays, stray, oracle = 0, [], 0, 0
    length = 2 * 3600 // BUCKET
    for _ in range(runs):
        day = int(rng.integers(7, 14))  # a week or two of history first
        start = day * PER_DAY + int(rng.integers(8 * 4, 20 * 4))  # 08:00-20:00
        inc = Incident(start, length, multiplier)
        stream = synthetic_stream(
            rng, day + 2, peak_per_hour=peak, share=share, incidents=[inc], day_spread=DAY_SPREAD[0]
        )
        raised = scan(stream, params, cooldown_buckets=cooldown, start=start - PER_DAY)
        normal = expected_rate(day + 2, peak_per_hour=peak)[start : start + length].sum()
        seen = int(stream.target[start : start + length].sum())
        oracle += bool(stats.poisson.sf(seen - 1, normal) <= ORACLE_ALPHA)
        hits = [r for r in raised if start < r.opened <= start + length + 4]
        stray += len(raised) - len(hits[:1])
        if hits:
            detected += 1
            delays.append((hits[0].opened - start) * BUCKET / 60)
    return {
        "rate": detected / runs,
        "delay_min": float(np.median(delays)) if delays else float("nan"),
        "stray_per_run": stray / runs,
        "bound": oracle / runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--months", type=int, default=12, help="simulated quiet months per case")
    parser.add_argument("--incidents", type=int, default=200, help="planted incidents per case")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sensitivity", type=float, help="override the default sensitivity")
    parser.add_argument(
        "--day-spread",
        type=float,
        default=0.0,
        help="relative day-to-day level variation (e.g. 0.2), for over-dispersed counts",
    )
    args = parser.parse_args()
    DAY_SPREAD[0] = args.day_spread
    if args.sensitivity:
        OVERRIDES["sensitivity"] = args.sensitivity
    started = time.perf_counter()
    rule = AlertRuleConfig(kind="volume_spike", **OVERRIDES)  # type: ignore[arg-type]
    print(
        f"settings: window {rule.window / 3600:g}h (and half and twice that), "
        f"sensitivity {rule.sensitivity:g}, "
        f"min_posts {rule.min_posts}, cooldown {rule.cooldown / 3600:g}h, 15m buckets, "
        f"day-to-day spread {args.day_spread:.0%}"
    )
    print(
        f"\n{'rule':<16}{'peak/h':>7}{'false/week':>12}{'false/month':>13}"
        f"{'3x2h found':>12}{'bound':>7}{'delay':>8}{'2x2h':>7}{'5x2h':>7}"
    )
    for kind, peaks in (
        ("negative_spike", (1.5, 2.0, 3.0, 5.0, 10.0, 20.0)),
        ("volume_spike", (5.0, 10.0, 20.0, 50.0)),
    ):
        for i, peak in enumerate(peaks):
            n_false, days = quiet(kind, peak, args.months * 30 + 1, args.seed + i)
            three = incidents(kind, peak, 3.0, args.incidents, args.seed + 100 + i)
            two = incidents(kind, peak, 2.0, args.incidents // 2, args.seed + 200 + i)
            five = incidents(kind, peak, 5.0, args.incidents // 2, args.seed + 300 + i)
            print(
                f"{kind:<16}{peak:>7g}{n_false / days * 7:>12.3f}{n_false / days * 30:>13.3f}"
                f"{three['rate']:>12.0%}{three['bound']:>7.0%}{three['delay_min']:>7.0f}m{two['rate']:>7.0%}"
                f"{five['rate']:>7.0%}"
            )
    print(
        f"\n({time.perf_counter() - started:.0f}s; "
        "peak/h = counted posts per hour at the daily peak;"
        " negative_spike streams have 30% negative posts)"
    )


if __name__ == "__main__":
    main()
