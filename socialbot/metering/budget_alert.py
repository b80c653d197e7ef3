"""The one alert a source sends when its monthly read budget stops it, through the outbox.

It goes to the same channels as the watch's alerts and is queued in the same
transaction that records the stop, whose primary key (source, month) makes it
go out once however many workers find the budget used up. When the month
renews (or the budget is raised), the alert is closed quietly: the source polling
again is the news.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import Connection, insert, update

from socialbot.config import AlertsConfig
from socialbot.health.text import READ_BUDGET
from socialbot.metering.budget import Allowance, month_begins, month_start, next_month
from socialbot.store.usage import READ_BUDGET_STOPS, claim_budget_stop
from socialbot.watching.outbox import enqueue
from socialbot.watching.tables import ALERTS

logger = logging.getLogger(__name__)

KIND = READ_BUDGET


def rule_name(source: str) -> str:
    return f"{KIND}:{source}"


def stop_message(source: str, spent: Allowance, budget_text: str, now: datetime) -> str:
    resumes = next_month(now).date().isoformat()
    return (f"source {source!r} stopped polling: {spent.used:,} of its {spent.budget:,} "
            f"posts budget for {now:%B %Y} read (monthly_read_budget = {budget_text}); it "
            f"resumes on {resumes} (UTC), or raise the budget and restart")


def alert_budget_stop(
    conn: Connection, *, source: str, watch: str | None, spent: Allowance, budget_text: str,
    now: datetime, channels: list[str], settings: AlertsConfig,
) -> int | None:
    """Record the stop and queue its alert, unless this month's stop is already recorded.

    Returns the new alert's id, or None when it was raised before.
    """
    month = month_start(now)
    if not claim_budget_stop(conn, source=source, month=month, now=now, reads=spent.used,
                             budget=spent.budget):
        return None
    message = stop_message(source, spent, budget_text, now)
    # a source alert (socialbot.health.text renders it); "message" stays for the payload
    detail = {"source": source, "line": message, "message": message,
              "opened_at": now.isoformat(),
              "history": [{"at": now.isoformat(), "what": "opened: read budget used up"}]}
    alert_id = int(conn.execute(insert(ALERTS).values(
        watch=watch or "", rule=rule_name(source), kind=KIND, topic="", status="open",
        started_at=now, window_start=month_begins(now), window_end=now,
        observed=float(spent.used), baseline=float(spent.budget), score=0.0,
        peak=float(spent.used), detail=json.dumps(detail), revision=1, created_at=now,
        updated_at=now,
    ).returning(ALERTS.c.id)).scalar_one())
    conn.execute(update(READ_BUDGET_STOPS)
                 .where(READ_BUDGET_STOPS.c.source == source, READ_BUDGET_STOPS.c.month == month)
                 .values(alert_id=alert_id))
    if not settings.dry_run:
        enqueue(conn, alert_id, "opened", channels, now=now, settings=settings)
    logger.warning("read budget used up: %s", message)
    return alert_id


def close_budget_alerts(conn: Connection, *, source: str, watch: str | None,
                        now: datetime) -> int:
    """Resolve, without sending anything, the source's open budget alert: called when the
    source may poll again (a new month, or a budget raised since)."""
    closed = conn.execute(
        update(ALERTS)
        .where(ALERTS.c.watch == (watch or ""), ALERTS.c.rule == rule_name(source),
               ALERTS.c.kind == KIND,
               ALERTS.c.status == "open")
        .values(status="resolved", resolved_at=now, updated_at=now)
        .returning(ALERTS.c.id)
    ).all()
    return len(closed)

