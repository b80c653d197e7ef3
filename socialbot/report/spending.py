"""The report's section on what the watch's sources read and posted, and what it cost."""

from __future__ import annotations

from markupsafe import Markup
from sqlalchemy import Connection

from socialbot.config import Config, WatchConfig
from socialbot.metering.summary import spending_summary
from socialbot.report.templating import render
from socialbot.store.types import utcnow


def spending_section(conn: Connection, config: Config, watch: WatchConfig) -> Markup:
    """Reads, writes and estimated cost per source of `watch`, today and this month (UTC);
    nothing when none of its sources has read or written anything."""
    mine = {s.name for s in config.source if s.watch == watch.name}
    rows = [r for r in spending_summary(conn, config, now=utcnow()) if r["source"] in mine]
    return render("spending.html", rows=rows) if rows else Markup("")
