"""One incident, one alert: turning a stream of window verdicts into open/update/resolve events."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from socialbot.watching.spike import Evaluation

Event = Literal["opened", "updated", "escalated", "resolved"]

#: an open alert is sent again when its observed count reaches this multiple of the last sent
ESCALATION = 2.0


@dataclass(frozen=True, slots=True)
class EpisodeState:
    """What a rule remembers between windows."""

    open: bool = False
    last_anomalous_end: datetime | None = None
    peak: float = 0.0
    notified_peak: float = 0.0


def step(
    state: EpisodeState, end: datetime, ev: Evaluation, *, cooldown: timedelta
) -> tuple[EpisodeState, Event | None]:
    """Advance a rule's state by the verdict on the window ending at `end`.

    An alert opens on the first anomalous window, absorbs every anomalous
    window after it, and resolves only after `cooldown` without one, so one
    incident gives one alert however many buckets it spans. It is re-sent
    ("escalated") when the count doubles the last one sent.
    """
    if not state.open:
        if ev.anomalous:
            return EpisodeState(True, end, ev.observed, ev.observed), "opened"
        return state, None
    if ev.anomalous:
        peak = max(state.peak, ev.observed)
        if ev.observed >= ESCALATION * state.notified_peak:
            return EpisodeState(True, end, peak, ev.observed), "escalated"
        return replace(state, last_anomalous_end=end, peak=peak), "updated"
    last = state.last_anomalous_end or end
    if end - last >= cooldown:
        return EpisodeState(), "resolved"
    return state, None
