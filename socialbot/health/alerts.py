"""Source alerts as rows of `alerts`, so the outbox delivers them like any other alert.

One alert per episode: opened once, revised when the kind of problem changes,
resolved by the first poll that shows the source well again. Each change that
is delivered bumps the revision and is queued in the same transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from socialbot.config import AlertsConfig
from socialbot.watching.outbox import enqueue
from socialbot.watching.tables import ALERTS

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertSink:
    """Where a source's alerts go: the channels of its watch, and the outbox settings."""

    channels: list[str] = field(default_factory=list)
    settings: AlertsConfig = field(default_factory=AlertsConfig)

    def send(self, conn: Connection, alert_id: int, event: str, *, now: datetime) -> None:
        if not self.settings.dry_run:
            enqueue(conn, alert_id, event, self.channels, now=now, settings=self.settings)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """The source an alert is about."""

    name: str
    platform: str
    watch: str | None = None


def open_alert(
    conn: Connection, sink: AlertSink, source: SourceRef, *, kind: str, line: str,
    since: datetime, now: datetime, observed: float = 0.0, baseline: float = 0.0,
    score: float = 0.0, method: str | None = None,
) -> int:
    """Record a new source alert and queue it for the channels; returns its id."""
    detail = {
        "source": source.name, "platform": source.platform, "line": line, "method": method,
        "opened_at": now.isoformat(),
        "history": [{"at": now.isoformat(), "what": "opened"}],
    }
    alert_id = int(conn.execute(
        insert(ALERTS).values(
            watch=source.watch or "", rule=f"{kind}:{source.name}", kind=kind, topic="",
            status="open", started_at=since, window_start=since, window_end=now,
            observed=observed, baseline=baseline, score=score, peak=observed,
            detail=json.dumps(detail), revision=1, created_at=now, updated_at=now,
        ).returning(ALERTS.c.id)
    ).scalar_one())
    sink.send(conn, alert_id, "opened", now=now)
    logger.info("alert opened: %s %s: %s", kind, source.name, line)
    return alert_id


def revise_alert(
    conn: Connection, sink: AlertSink, alert_id: int, *, line: str, now: datetime
) -> None:
    """The problem changed its nature (a timeout became a 453): say so once."""
    detail = _detail(conn, alert_id)
    detail["line"] = line
    detail["history"].append({"at": now.isoformat(), "what": f"now: {line}"})
    _write(conn, alert_id, detail, now=now, window_end=now, revision=ALERTS.c.revision + 1)
    sink.send(conn, alert_id, "updated", now=now)


def note(conn: Connection, alert_id: int, *, line: str, now: datetime) -> None:
    """Keep the open alert's line current without sending anything."""
    detail = _detail(conn, alert_id)
    detail["line"] = line
    _write(conn, alert_id, detail, now=now, window_end=now)


def resolve_alert(
    conn: Connection, sink: AlertSink, alert_id: int, *, resolution: str, now: datetime
) -> None:
    """Close the alert and queue the "resolved" message."""
    detail = _detail(conn, alert_id)
    detail["resolution"] = resolution
    detail["history"].append({"at": now.isoformat(), "what": f"resolved: {resolution}"})
    _write(conn, alert_id, detail, now=now, status="resolved", resolved_at=now,
           revision=ALERTS.c.revision + 1)
    sink.send(conn, alert_id, "resolved", now=now)
    logger.info("alert resolved: #%d: %s", alert_id, resolution)


def _detail(conn: Connection, alert_id: int) -> dict[str, Any]:
    raw = conn.execute(select(ALERTS.c.detail).where(ALERTS.c.id == alert_id)).scalar_one()
    detail: dict[str, Any] = json.loads(raw)
    detail.setdefault("history", [])
    return detail


def _write(conn: Connection, alert_id: int, detail: dict[str, Any], *, now: datetime,
           **values: Any) -> None:
    conn.execute(update(ALERTS).where(ALERTS.c.id == alert_id).values(
        detail=json.dumps(detail), updated_at=now, **values))
