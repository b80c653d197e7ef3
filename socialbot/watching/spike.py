"""Is the latest window far above its own baseline? Pure statistics over count arrays.

A window's count is compared with two baselines: the same window on previous
days (the daily rhythm) and the windows just before it (the recent level). Each
baseline is a Gamma posterior over the Poisson rate learned from those windows,
so the predictive distribution is negative binomial: a baseline seen over few
windows or with few posts is uncertain, its tail is wider, and low counts do not
cry wolf. A spike must be improbable under both baselines (while an alert is
open, only under the daily one, because the recent past is the incident).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from socialbot.config import AlertRuleConfig

#: Jeffreys-like prior on the rate: half a post over no windows
PRIOR_POSTS = 0.5
#: Real counts vary more than Poisson (weekdays, news, campaigns): however long the
#: baseline, its rate is never taken as known better than a Gamma of this shape
#: (a relative spread of at least 1/sqrt(100) = 10%).
MAX_SHAPE = 100.0


@dataclass(frozen=True, slots=True)
class RuleParams:
    """A rule's settings in buckets, as the detector needs them."""

    kind: str
    window: int
    buckets_per_day: int
    sensitivity: float = 3e-4
    share_sensitivity: float = 0.5
    min_posts: int = 6
    baseline_days: int = 7
    recent_windows: int = 6
    min_history: int = 96
    above: float | None = None

    @classmethod
    def from_config(cls, rule: AlertRuleConfig, *, bucket: float) -> RuleParams:
        window = int(rule.window // bucket)
        return cls(
            kind=rule.kind,
            window=window,
            buckets_per_day=int(86400 // bucket),
            sensitivity=rule.sensitivity,
            share_sensitivity=rule.share_sensitivity,
            min_posts=rule.min_posts,
            baseline_days=rule.baseline_days,
            recent_windows=max(1, int(rule.recent // rule.window)),
            min_history=math.ceil(rule.min_history / bucket),
            above=rule.above,
        )

    @property
    def lookback(self) -> int:
        """How many buckets before a window's end the detector may read."""
        longest = 2 * self.window
        return (
            max(self.baseline_days * self.buckets_per_day, self.recent_windows * longest) + longest
        )


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The verdict on the window [end - window_buckets, end), with its evidence."""

    anomalous: bool
    window_buckets: int
    observed: int
    total: int
    expected: float
    score: float
    seasonal_mean: float | None = None
    seasonal_windows: int = 0
    recent_mean: float | None = None
    recent_windows: int = 0
    share: float | None = None
    baseline_share: float | None = None
    share_score: float | None = None
    notes: list[str] = field(default_factory=list)

    def method(self) -> str:
        """How the baseline was computed, in one sentence for people."""
        parts = []
        if self.seasonal_windows:
            parts.append(
                f"same hours on {self.seasonal_windows} previous day(s): "
                f"mean {self.seasonal_mean:.2f}"
            )
        if self.recent_windows:
            parts.append(
                f"{self.recent_windows} window(s) just before: mean {self.recent_mean:.2f}"
            )
        text = "; ".join(parts) or "no history"
        return (
            f"{text}. Score = negative-binomial tail probability P(count >= {self.observed}) "
            "under a Gamma-Poisson baseline (the larger of the two probabilities)"
        )


def nb_tail(observed: int, baseline_total: int, windows: int) -> float:
    """P(X >= observed) for a window whose rate was seen as `baseline_total` over `windows`."""
    if observed <= 0:
        return 1.0
    shape = baseline_total + PRIOR_POSTS
    rate_windows = float(windows)
    if shape > MAX_SHAPE:  # same mean, wider spread
        rate_windows *= MAX_SHAPE / shape
        shape = MAX_SHAPE
    p = rate_windows / (rate_windows + 1.0)
    # NB(shape, p) survival P(X >= k) is the regularised incomplete beta I_{1-p}(k, shape).
    return float(special.betainc(observed, shape, 1.0 - p))


def share_tail(negatives: int, total: int, base_negatives: int, base_total: int) -> float:
    """P(at least `negatives` of `total` negative) given the baseline's share (beta-binomial)."""
    if negatives <= 0 or total <= 0:
        return 1.0
    a = base_negatives + PRIOR_POSTS
    b = base_total - base_negatives + PRIOR_POSTS
    x = np.arange(negatives, total + 1)
    log_pmf = (
        special.gammaln(total + 1) - special.gammaln(x + 1) - special.gammaln(total - x + 1)
        + special.betaln(x + a, total - x + b) - special.betaln(a, b)
    )
    return float(min(1.0, np.exp(log_pmf).sum()))


def _sum(cum: np.ndarray, start: int, end: int) -> int:
    return int(cum[end] - cum[start])


class Counts:
    """A rule's counts per bucket, prepared for many window sums.

    `target` holds the posts the rule counts (negatives, or all posts for a
    volume rule), `total` all posts (for the share); index 0 is the first bucket
    the arrays cover.
    """

    def __init__(self, target: np.ndarray, total: np.ndarray) -> None:
        self.cum_target = np.concatenate([[0], np.cumsum(target, dtype=np.int64)])
        self.cum_total = np.concatenate([[0], np.cumsum(total, dtype=np.int64)])

    def __len__(self) -> int:
        return len(self.cum_target) - 1


def evaluate(
    counts: Counts,
    end: int,
    params: RuleParams,
    *,
    history_start: int = 0,
    continuing: bool = False,
) -> Evaluation:
    """Judge the windows ending at bucket index `end` (exclusive).

    `history_start` is the first bucket with data: windows before it are not
    used as baseline. `continuing` (an alert is open) judges against the daily
    baseline only.
    """
    cum_t, cum_n = counts.cum_target, counts.cum_total
    if params.kind == "threshold":
        return _threshold(cum_t, cum_n, end, params)
    best: Evaluation | None = None
    for k in (params.window, 2 * params.window):
        ev = _spike(cum_t, cum_n, end, k, params, history_start, continuing)
        if best is None or ev.score < best.score:
            best = ev
    assert best is not None
    bonferroni = min(1.0, best.score * 2)
    anomalous = best.anomalous and bonferroni <= params.sensitivity
    return dataclasses.replace(best, anomalous=anomalous, score=bonferroni)


def _threshold(cum_t: np.ndarray, cum_n: np.ndarray, end: int, params: RuleParams) -> Evaluation:
    k = params.window
    start = max(0, end - k)
    neg, tot = _sum(cum_t, start, end), _sum(cum_n, start, end)
    share = neg / tot if tot else 0.0
    above = params.above or 1.0
    return Evaluation(
        anomalous=tot >= params.min_posts and share > above,
        window_buckets=k,
        observed=neg,
        total=tot,
        expected=above * tot,
        score=share,
        share=share,
        baseline_share=above,
        notes=[f"fixed threshold: share > {above:.0%}"],
    )


def _spike(
    cum_t: np.ndarray,
    cum_n: np.ndarray,
    end: int,
    k: int,
    params: RuleParams,
    history_start: int,
    continuing: bool,
) -> Evaluation:
    start = max(0, end - k)
    observed, total = _sum(cum_t, start, end), _sum(cum_n, start, end)
    day = params.buckets_per_day
    seasonal = [
        (end - d * day - k, end - d * day)
        for d in range(1, params.baseline_days + 1)
        if end - d * day - k >= history_start
    ]
    recent = [
        (end - (j + 1) * k, end - j * k)
        for j in range(1, params.recent_windows + 1)
        if end - (j + 1) * k >= history_start
    ]
    s_obs = sum(_sum(cum_t, a, b) for a, b in seasonal)
    r_obs = sum(_sum(cum_t, a, b) for a, b in recent)
    p_seasonal = nb_tail(observed, s_obs, len(seasonal)) if seasonal else 1.0
    p_recent = nb_tail(observed, r_obs, len(recent)) if recent else 1.0
    s_mean = s_obs / len(seasonal) if seasonal else None
    r_mean = r_obs / len(recent) if recent else None
    score = p_seasonal if continuing else max(p_seasonal, p_recent)
    expected = max(m for m in (s_mean, r_mean, 0.0) if m is not None)
    eligible = bool(seasonal) and end - history_start >= params.min_history
    anomalous = eligible and observed >= params.min_posts and observed > expected
    share = base_share = p_share = None
    if params.kind == "negative_spike":
        base = seasonal + ([] if continuing else recent)
        base_neg = sum(_sum(cum_t, a, b) for a, b in base)
        base_tot = sum(_sum(cum_n, a, b) for a, b in base)
        share = observed / total if total else 0.0
        base_share = base_neg / base_tot if base_tot else None
        p_share = share_tail(observed, total, base_neg, base_tot)
        anomalous = anomalous and p_share <= params.share_sensitivity
    return Evaluation(
        anomalous=anomalous,
        window_buckets=k,
        observed=observed,
        total=total,
        expected=expected,
        score=score if eligible else 1.0,
        seasonal_mean=s_mean,
        seasonal_windows=len(seasonal),
        recent_mean=r_mean,
        recent_windows=len(recent),
        share=share,
        baseline_share=base_share,
        share_score=p_share,
    )
