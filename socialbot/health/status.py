"""Each source's health as `socialbot status` shows it: failed polls in a row, open alerts."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from socialbot.health.tables import SOURCE_HEALTH
from socialbot.watching.tables import ALERTS


def health_by_source(conn: Connection) -> dict[str, dict[str, Any]]:
    """source name -> {"failures", "failing_since", "failing_alert", "silent_alert", "silent"}."""
    found: dict[str, dict[str, Any]] = {}
    for r in conn.execute(select(SOURCE_HEALTH)):
        silent = None
        if r.silent_alert_id is not None:
            detail = conn.execute(
                select(ALERTS.c.detail).where(ALERTS.c.id == r.silent_alert_id)
            ).scalar_one_or_none()
            silent = json.loads(detail).get("line") if detail else None
        found[r.source] = {
            "failures": r.failures,
            "failing_since": r.failing_since.isoformat() if r.failing_since else None,
            "failing_alert": r.failing_alert_id,
            "silent_alert": r.silent_alert_id,
            "silent": silent,
        }
    return found


def health_note(health: dict[str, Any] | None) -> str:
    """What the sources table adds to a source's detail: failures in a row, open alerts."""
    if not health:
        return ""
    notes = []
    if health["failures"]:
        alert = f", alert #{health['failing_alert']}" if health["failing_alert"] else ""
        n = health["failures"]
        notes.append(f"{n} failed poll{'s' * (n != 1)} in a row{alert}")
    if health["silent"]:
        notes.append(f"silent (alert #{health['silent_alert']}): {health['silent']}")
    return " · ".join(notes)
