"""Inline SVG charts drawn from count series: no scripts, fonts or files outside the page."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")
SENTIMENT_COLOURS = {"negative": "#d62728", "neutral": "#b0b0b0", "positive": "#2ca02c"}


@dataclass(frozen=True, slots=True)
class Marker:
    """A span on the time axis (an alert), drawn as a shaded band with a label."""

    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True, slots=True)
class Frame:
    width: int = 900
    height: int = 260
    left: int = 48
    right: int = 12
    top: int = 18
    bottom: int = 34

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom


def _nice_max(value: float) -> float:
    """The top of the y axis: four equal, round steps covering `value`."""
    for step in (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000):
        if value <= step * 4:
            return float(step * 4)
    return float(value)


def _axes(f: Frame, times: Sequence[datetime], top: float) -> list[str]:
    out = []
    for i in range(5):
        v = top * i / 4
        y = f.top + f.plot_h * (1 - i / 4)
        out.append(
            f'<line x1="{f.left}" x2="{f.width - f.right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#e5e5e5"/>'
        )
        out.append(
            f'<text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#555">{v:g}</text>'
        )
    n = len(times)
    if n:
        days = [i for i, t in enumerate(times) if t.hour == 0 and t.minute == 0] or [0]
        every = max(1, len(days) // 10)
        for i in days[::every]:
            x = f.left + f.plot_w * i / n
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.top}" y2="{f.top + f.plot_h}" '
                'stroke="#eee"/>'
            )
            out.append(
                f'<text x="{x + 2:.1f}" y="{f.height - f.bottom + 14}" font-size="11" fill="#555">'
                f"{times[i]:%a %d %b}</text>"
            )
    out.append(
        f'<line x1="{f.left}" x2="{f.width - f.right}" y1="{f.top + f.plot_h}" '
        f'y2="{f.top + f.plot_h}" stroke="#999"/>'
    )
    return out


def _markers(
    f: Frame, times: Sequence[datetime], width: float, markers: Sequence[Marker]
) -> list[str]:
    if not times:
        return []
    t0 = times[0].timestamp()
    span = width * len(times)
    out = []
    for k, m in enumerate(markers):
        a = max(0.0, (m.start.timestamp() - t0) / span)
        b = min(1.0, (m.end.timestamp() - t0) / span)
        if b <= 0 or a >= 1:
            continue
        x, w = f.left + f.plot_w * a, max(2.0, f.plot_w * (b - a))
        out.append(
            f'<rect x="{x:.1f}" y="{f.top}" width="{w:.1f}" height="{f.plot_h}" fill="#d62728" '
            'fill-opacity="0.12" stroke="#d62728" stroke-opacity="0.5">'
            f"<title>{html.escape(m.label)}</title></rect>"
        )
        out.append(
            f'<text x="{x + 3:.1f}" y="{f.top + 11 + 12 * k}" font-size="11" fill="#a00">'
            f"&#9888; {html.escape(m.label[:40])}</text>"
        )
    return out


def line_chart(
    times: Sequence[datetime],
    width: float,
    series: dict[str, np.ndarray],
    *,
    markers: Sequence[Marker] = (),
    title: str = "",
    frame: Frame = Frame(),
    colours: dict[str, str] | None = None,
) -> str:
    """One line per series over `times` (bucket starts, `width` seconds each), with alert bands."""
    f = frame
    n = len(times)
    top = _nice_max(max((float(v.max()) for v in series.values() if len(v)), default=0.0))
    parts = [_open(f, title)]
    parts += _axes(f, times, top)
    parts += _markers(f, times, width, markers)
    for i, (name, values) in enumerate(series.items()):
        colour = (colours or {}).get(name, COLOURS[i % len(COLOURS)])
        pts = " ".join(
            f"{f.left + f.plot_w * (j + 0.5) / n:.1f},{f.top + f.plot_h * (1 - v / top):.1f}"
            for j, v in enumerate(values)
        )
        parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.6">'
            f"<title>{html.escape(name)}</title></polyline>"
        )
    parts.append(
        _legend(
            f,
            [
                (n_, (colours or {}).get(n_, COLOURS[i % len(COLOURS)]))
                for i, n_ in enumerate(series)
            ],
        )
    )
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_bars(
    times: Sequence[datetime],
    width: float,
    series: dict[str, np.ndarray],
    *,
    markers: Sequence[Marker] = (),
    title: str = "",
    frame: Frame = Frame(height=180),
    colours: dict[str, str] | None = None,
) -> str:
    """Stacked bars per bucket (e.g. negative / neutral / positive), with alert bands."""
    f = frame
    n = len(times)
    names = list(series)
    stack = np.zeros(n) if n else np.zeros(0)
    total = sum((v.astype(float) for v in series.values()), np.zeros(n))
    top = _nice_max(float(total.max()) if n else 0.0)
    parts = [_open(f, title)]
    parts += _axes(f, times, top)
    parts += _markers(f, times, width, markers)
    bar_w = f.plot_w / max(n, 1)
    for i, name in enumerate(names):
        colour = (colours or {}).get(name, COLOURS[i % len(COLOURS)])
        rects = []
        for j, v in enumerate(series[name]):
            if v <= 0:
                continue
            h = f.plot_h * v / top
            y = f.top + f.plot_h * (1 - (stack[j] + v) / top)
            rects.append(
                f'<rect x="{f.left + bar_w * j:.1f}" y="{y:.1f}" '
                f'width="{max(bar_w - 0.4, 0.6):.1f}" height="{h:.1f}">'
                f"<title>{times[j]:%a %H:%M} {html.escape(name)}: {int(v)}</title></rect>"
            )
        stack = stack + series[name]
        parts.append(f'<g fill="{colour}">{"".join(rects)}</g>')
    parts.append(
        _legend(
            f,
            [
                (n_, (colours or {}).get(n_, COLOURS[i % len(COLOURS)]))
                for i, n_ in enumerate(names)
            ],
        )
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _open(f: Frame, title: str) -> str:
    label = html.escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {f.width} {f.height}" '
        f'width="100%" role="img" aria-label="{label}" font-family="sans-serif">'
    )


def _legend(f: Frame, entries: list[tuple[str, str]]) -> str:
    x = f.left
    out = []
    for name, colour in entries:
        out.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{colour}"/>')
        out.append(
            f'<text x="{x + 14}" y="11" font-size="11" fill="#333">{html.escape(name)}</text>'
        )
        x += 22 + 7 * len(name)
    return "".join(out)


def time_axis(start: datetime, width: float, n: int) -> list[datetime]:
    return [start + timedelta(seconds=width * i) for i in range(n)]
