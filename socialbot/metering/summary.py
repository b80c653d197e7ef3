"""Reads, writes and estimated cost per source today and this month, for status and report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from socialbot.config import Config
from socialbot.metering.billing import Tally
from socialbot.metering.budget import SLOW_FROM, month_start, next_month
from socialbot.store import Store
from socialbot.store.types import utcnow
from socialbot.store.usage import budget_stop, usage_since


def _part(tally: Tally, cost: float) -> dict[str, Any]:
    return {"requests": tally.requests, "reads": tally.reads, "writes": tally.writes,
            "writes_with_url": tally.url_writes, "cost_usd": round(cost, 4)}


def spending_summary(conn: Connection, config: Config, *, now: datetime) -> list[dict[str, Any]]:
    """One entry per source with usage this month or a read budget, JSON-ready."""
    month = month_start(now)
    today = now.date()
    platforms: dict[str, str] = {}
    days: dict[str, Tally] = {}
    months: dict[str, Tally] = {}
    for row in usage_since(conn, month):
        tally = Tally(row.requests, row.reads, row.writes, row.url_writes)
        platforms.setdefault(row.source, row.platform)
        months[row.source] = months.get(row.source, Tally()) + tally
        if row.day == today:
            days[row.source] = tally
    budgets = {s.name: s for s in config.source if s.monthly_read_budget is not None}
    for name, source in budgets.items():
        platforms.setdefault(name, source.kind)
    out = []
    for name in sorted(platforms):
        prices = config.pricing.prices_for(platforms[name])
        day, mon = days.get(name, Tally()), months.get(name, Tally())
        entry: dict[str, Any] = {
            "source": name, "platform": platforms[name], "priced": prices is not None,
            "today": _part(day, day.cost(prices)), "month": _part(mon, mon.cost(prices)),
            "budget": None,
        }
        budgeted = budgets.get(name)
        if budgeted is not None and budgeted.monthly_read_budget is not None:
            posts = budgeted.monthly_read_budget.posts(prices.post_read if prices else 0.0)
            stop = budget_stop(conn, name, month)
            stopped = stop is not None and stop.budget >= posts  # not raised since
            state = ("stopped" if stopped else "slowed" if mon.reads >= posts * SLOW_FROM
                     else "ok")
            entry["budget"] = {
                "as_written": str(budgeted.monthly_read_budget), "posts": posts,
                "used": mon.reads, "state": state,
                "renews": next_month(now).date().isoformat(),
            }
        out.append(entry)
    return out


def current_spending(store: Store, config: Config, *, now: datetime | None = None
                     ) -> list[dict[str, Any]]:
    """`spending_summary` as of the wall clock, for `socialbot status`."""
    with store.reading() as conn:
        return spending_summary(conn, config, now=now or utcnow())
