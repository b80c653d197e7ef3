"""The report's section on what the watch's sources read and posted, and what it cost."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import Connection

from socialbot.config import Config, WatchConfig
from socialbot.metering.summary import spending_summary
from socialbot.store.types import utcnow

e = html.escape


def _cells(part: dict[str, Any], priced: bool) -> str:
    cost = f"${part['cost_usd']:,.2f}" if priced else "free"
    return f"<td>{part['reads']:,}</td><td>{part['writes']:,}</td><td>{cost}</td>"


def spending_section(conn: Connection, config: Config, watch: WatchConfig) -> str:
    """Reads, writes and estimated cost per source of `watch`, today and this month (UTC)."""
    mine = {s.name for s in config.source if s.watch == watch.name}
    rows = [r for r in spending_summary(conn, config, now=utcnow()) if r["source"] in mine]
    if not rows:
        return ""
    body = []
    for r in rows:
        budget = r["budget"]
        limit = (f"{budget['used']:,} of {budget['posts']:,} ({e(budget['as_written'])}), "
                 f"{e(budget['state'])}" if budget else "none")
        body.append(f"<tr><td>{e(r['source'])}</td>{_cells(r['today'], r['priced'])}"
                    f"{_cells(r['month'], r['priced'])}<td>{limit}</td></tr>")
    return (
        "<h2>Platform usage and estimated cost</h2><table><tr><th>source</th>"
        "<th>reads today</th><th>writes</th><th>cost</th><th>reads this month</th>"
        "<th>writes</th><th>cost</th><th>monthly read budget</th></tr>"
        + "".join(body)
        + "</table><p class='muted'>Estimated at the unit prices in config "
        "(<code>[pricing.twitter]</code>); a post read twice on one UTC day is billed once."
        "</p>"
    )
