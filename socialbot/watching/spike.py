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
#: the windows pooled per previous day: the same hours, and one window before and after
SEASONAL_OFFSETS = (-1, 0, 1)
#: pseudo-posts added to both sides of today's level ratio, so a few posts do not move it
LEVEL_PRIOR = 5.0


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
    recent_buckets: int = 24
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
            recent_buckets=max(1, int(rule.recent // bucket)),
            min_history=math.ceil(rule.min_history / bucket),
            above=rule.above,
        )

    @property
    def window_lengths(self) -> tuple[int, ...]:
        """The window lengths judged, in buckets: half the window (a sharp onset shows
        sooner), the window, and twice it (a slow incident adds up)."""
        half = (self.window // 2,) if self.window % 2 == 0 else ()
        return (*half, self.window, 2 * self.window)

    @property
    def lookback(self) -> int:
        """How many buckets before a window's end the detector may read."""
        return self.baseline_days * self.buckets_per_day + self.recent_buckets + 4 * self.window


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
    seasonal_days: int = 0
    #: today's level against the same hours on previous days, from the span before the window
    level: float | None = None
    recent_posts: int | None = None
    recent_usual: float | None = None
    recent_hours: float = 0.0
    share: float | None = None
    baseline_share: float | None = None
    share_score: float | None = None
    windows_tested: int = 1
    notes: list[str] = field(default_factory=list)

    def method(self) -> str:
        """How the baseline was computed, in one sentence for people."""
        parts = []
        if self.seasonal_windows:
            parts.append(
                f"same hours (and the windows either side) on {self.seasonal_days} previous "
                f"day(s): mean {self.seasonal_mean:.2f} over {self.seasonal_windows} windows"
            )
        if self.level is not None and self.seasonal_mean is not None:
            parts.append(
                f"the {self.recent_hours:g}h before had {self.recent_posts} posts vs "
                f"{self.recent_usual:.1f} usually (level x{self.level:.2f}, so "
                f"{self.seasonal_mean * self.level:.2f} expected today)"
            )
        text = "; ".join(parts) or "no history"
        return (
            f"{text}. Score = negative-binomial tail probability P(count >= {self.observed}) "
            "under a Gamma-Poisson model of that baseline (the larger of the two), "
            f"times {self.windows_tested} for the window lengths tested"
        )


def nb_tail(observed: int, baseline_total: float, windows: int) -> float:
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
    lengths = params.window_lengths
    for k in lengths:
        ev = _spike(cum_t, cum_n, end, k, params, history_start, continuing)
        if best is None or ev.score < best.score:
            best = ev
    assert best is not None
    # Bonferroni: testing several window lengths must not multiply false alerts.
    corrected = min(1.0, best.score * len(lengths))
    anomalous = best.anomalous and corrected <= params.sensitivity
    return dataclasses.replace(
        best, anomalous=anomalous, score=corrected, windows_tested=len(lengths)
    )


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
    days = [d for d in range(1, params.baseline_days + 1) if start - d * day >= history_start]
    # The same hours on previous days, with the windows either side of them: the daily
    # rhythm is smooth, so three times the evidence for the same (linear-trend unbiased)
    # mean, and a baseline of few posts is less uncertain.
    seasonal = [
        (start - d * day + j * k, end - d * day + j * k)
        for d in days
        for j in SEASONAL_OFFSETS
        if start - d * day + j * k >= history_start and end - d * day + j * k <= start
    ]
    s_obs = sum(_sum(cum_t, a, b) for a, b in seasonal)
    s_mean = s_obs / len(seasonal) if seasonal else None
    p_seasonal = nb_tail(observed, s_obs, len(seasonal)) if seasonal else 1.0
    # Today's level: the span just before the window against the same span on earlier days.
    r0 = start - params.recent_buckets
    r_days = [d for d in days if r0 - d * day >= history_start]
    level = recent_posts = usual = None
    p_level = 1.0
    if r_days and r0 >= history_start:
        recent_posts = _sum(cum_t, r0, start)
        usual = sum(_sum(cum_t, r0 - d * day, start - d * day) for d in r_days) / len(r_days)
        level = (recent_posts + LEVEL_PRIOR) / (usual + LEVEL_PRIOR)
        p_level = nb_tail(observed, s_obs * level, len(seasonal))
    score = p_seasonal if continuing else max(p_seasonal, p_level)
    expected = (s_mean or 0.0) * (1.0 if continuing or level is None else max(1.0, level))
    eligible = bool(seasonal) and end - history_start >= params.min_history
    anomalous = eligible and observed >= params.min_posts and observed > expected
    share = base_share = p_share = None
    if params.kind == "negative_spike":
        base = seasonal + ([] if continuing or level is None else [(r0, start)])
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
        seasonal_days=len(days),
        level=level,
        recent_posts=recent_posts,
        recent_usual=usual,
        recent_hours=params.recent_buckets * 24 / day,
        share=share,
        baseline_share=base_share,
        share_score=p_share,
    )
