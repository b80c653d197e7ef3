"""The `status` table of what each source read and posted, and what that costs."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

_BUDGET_STYLE = {"ok": "green", "slowed": "yellow", "stopped": "red"}


def _money(part: dict[str, Any], priced: bool) -> str:
    return f"${part['cost_usd']:,.2f}" if priced else "free"


def budget_text(budget: dict[str, Any] | None) -> str:
    """`8,000 / 10,000 ($50) slowed`, or "" without a budget."""
    if not budget:
        return ""
    state = budget["state"]
    shown = f"{budget['used']:,} / {budget['posts']:,}"
    if budget["as_written"].startswith("$"):
        shown += f" ({budget['as_written']})"
    extra = f" until {budget['renews']}" if state == "stopped" else ""
    return f"{shown} [{_BUDGET_STYLE.get(state, '')}]{state}{extra}[/]"


def render_spending(console: Console, spending: list[dict[str, Any]]) -> None:
    """Reads, writes and estimated cost per source today and this month (UTC)."""
    if not spending:
        return
    table = Table(title="usage and estimated cost (UTC; each post read is billed once a day)")
    for col in ("source", "today: reads", "writes", "cost", "month: reads", "writes", "cost",
                "monthly read budget"):
        table.add_column(col, overflow="fold")
    for r in spending:
        today, month = r["today"], r["month"]
        table.add_row(
            escape(r["source"]),
            f"{today['reads']:,}", f"{today['writes']:,}", _money(today, r["priced"]),
            f"{month['reads']:,}", f"{month['writes']:,}", _money(month, r["priced"]),
            budget_text(r["budget"]),
        )
    console.print(table)
