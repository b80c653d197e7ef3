"""Trends in the terminal: a rich table with sparklines, and a bar chart over time."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from socialbot.watching.series import Series

SPARKS = "▁▂▃▄▅▆▇█"
PALETTE = ("red", "green", "bright_black", "cyan", "magenta", "yellow", "blue", "bright_red")
SENTIMENT_COLOURS = {"negative": "red", "neutral": "bright_black", "positive": "green"}


def sparkline(values: list[int], width: int = 48) -> str:
    """Unicode block sparkline, summing neighbours so it fits `width` characters."""
    if not values:
        return ""
    step = max(1, -(-len(values) // width))
    sums = [sum(values[i : i + step]) for i in range(0, len(values), step)]
    top = max(sums) or 1
    return "".join(
        SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1) + 0.5))] for v in sums
    )


def colour_for(name: str, index: int) -> str:
    return SENTIMENT_COLOURS.get(name, PALETTE[index % len(PALETTE)])


def trends_table(series: Series, *, title: str) -> Table:
    """One row per group: total, share, busiest bucket, and a sparkline over the period."""
    table = Table(title=title)
    for col in ("group", "posts", "share", "busiest bucket", "over time"):
        table.add_column(col, justify="right" if col in ("posts", "share") else "left")
    grand = int(series.total().sum()) or 1
    times = series.times
    ordered = sorted(series.groups.items(), key=lambda kv: -int(kv[1].sum()))
    for i, (name, values) in enumerate(ordered):
        total = int(values.sum())
        peak = int(values.argmax()) if total else 0
        table.add_row(
            Text(name, style=colour_for(name, i)),
            str(total),
            f"{total / grand:.0%}",
            f"{times[peak]:%Y-%m-%d %H:%M} ({int(values[peak])})" if total else "-",
            Text(sparkline([int(v) for v in values]), style=colour_for(name, i)),
        )
    return table


def bar_chart(console: Console, series: Series, *, max_rows: int = 60, width: int = 50) -> None:
    """One line per bucket (the newest `max_rows`), a stacked bar coloured by group."""
    times = series.times
    totals = series.total()
    first = max(0, series.buckets - max_rows)
    top = int(totals[first:].max()) if series.buckets else 0
    if top == 0:
        console.print("(no posts in this period)")
        return
    names = sorted(series.groups, key=lambda n: -int(series.groups[n].sum()))
    for i in range(first, series.buckets):
        line = Text(f"{times[i]:%m-%d %H:%M} ")
        used = 0
        for j, name in enumerate(names):
            count = int(series.groups[name][i])
            cells = round(count / top * width)
            cells = min(cells, width - used)
            used += cells
            line.append("█" * cells, style=colour_for(name, j))
        line.append(f" {int(totals[i])}")
        console.print(line, highlight=False)
    legend = Text("  ")
    for j, name in enumerate(names):
        legend.append("■ ", style=colour_for(name, j))
        legend.append(f"{name}  ")
    console.print(legend)
