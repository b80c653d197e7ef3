"""Alerts: the list, one alert with the explanation the CLI prints (`socialbot alerts --id`),
its history and its deliveries, and a CSV of the listed alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialbot.config import Config
from socialbot.watching.tables import ALERTS, OUTBOX
from socialbot.watching.views import alert_json, list_alerts, text_summary, what_and_where
from socialbot.web.csv_export import csv_response
from socialbot.web.rendering import render

STATUSES = ("open", "resolved")
#: the most alerts one list or export shows
MAX_ALERTS = 10_000


def _alert_filter(request: Request) -> tuple[str | None, str | None]:
    config: Config = request.app.state.config
    watch = request.query_params.get("watch") or None
    status = request.query_params.get("status") or None
    if watch is not None and watch not in {w.name for w in config.watch}:
        raise HTTPException(404, f"There is no watch named {watch[:100]!r}.")
    if status is not None and status not in STATUSES:
        raise HTTPException(400, f"status: use {' or '.join(STATUSES)}")
    return watch, status


def _alerts(request: Request) -> list[dict[str, Any]]:
    watch, status = _alert_filter(request)
    with request.app.state.store.reading() as conn:
        found = list_alerts(conn, watch=watch, limit=MAX_ALERTS)
    return [dict(a, what=what_and_where(a)) for a in found
            if status is None or a["status"] == status]


def alerts_page(request: Request) -> Response:
    watch, status = _alert_filter(request)
    return render(request, "alerts.html", alerts=_alerts(request), watch=watch, status=status,
                  statuses=STATUSES, query=request.url.query)


def alerts_csv(request: Request) -> Response:
    header = ["id", "watch", "status", "rules", "topics", "what", "started_at", "opened_at",
              "resolved_at", "window_start", "window_end", "observed", "baseline", "score",
              "share", "rising_phrases"]
    rows = ([a["id"], a["watch"], a["status"], " + ".join(r["rule"] for r in a["rules"]),
             ", ".join(a["topics"]), a["what"], a["started_at"], a["opened_at"] or "",
             a["resolved_at"] or "", a["window"]["start"], a["window"]["end"], a["observed"],
             a["baseline"], a["score"], "" if a["share"] is None else a["share"],
             "; ".join(p["phrase"] for p in a["phrases"])]
            for a in _alerts(request))
    return csv_response("alerts.csv", header, rows)


def alert_page(request: Request) -> Response:
    raw = request.path_params["alert_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise HTTPException(404, "There is no such alert.")
    with request.app.state.store.reading() as conn:
        row = conn.execute(select(ALERTS).where(ALERTS.c.id == int(raw))).first()
        if row is None:
            raise HTTPException(404, f"There is no alert #{raw}.")
        deliveries = conn.execute(
            select(OUTBOX.c.revision, OUTBOX.c.event, OUTBOX.c.channel, OUTBOX.c.status,
                   OUTBOX.c.attempts, OUTBOX.c.sent_at, OUTBOX.c.last_error,
                   OUTBOX.c.created_at)
            .where(OUTBOX.c.alert_id == row.id)
            .order_by(OUTBOX.c.revision, OUTBOX.c.channel)
        ).all()
    alert = alert_json(row)
    return render(request, "alert.html", alert=alert, what=what_and_where(alert),
                  explanation=text_summary(alert), deliveries=deliveries)


ROUTES = [
    Route("/alerts", alerts_page),
    Route("/alerts.csv", alerts_csv),
    Route("/alerts/{alert_id}", alert_page),
]
