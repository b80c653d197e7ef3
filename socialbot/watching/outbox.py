"""The alert outbox: deliveries queued with the alert, claimed, retried, marked sent.

A delivery row is written in the same transaction as the alert revision it
announces, so nothing decided is ever lost. A worker claims due rows in a short
transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`), giving each a lease and a
fresh claim token, sends outside any transaction, then marks the row sent only
if its token still holds. A worker killed mid-send leaves the row to be retried
once the lease runs out; every attempt carries the same delivery id so a
receiver can recognise a retry.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from socialbot.backoff import Backoff
from socialbot.config import AlertsConfig
from socialbot.store.dialect import insert_ignoring_conflicts
from socialbot.watching.tables import ALERTS, OUTBOX
from socialbot.watching.views import alert_json


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed outbox row: what to send, where, and the token proving the claim."""

    id: int
    alert_id: int
    revision: int
    event: str
    channel: str
    payload: dict[str, Any]
    attempts: int
    token: str

    @property
    def delivery_id(self) -> str:
        """Stable across retries: the idempotency key receivers drop duplicates by
        (webhook `Idempotency-Key` and `X-Socialbot-Delivery`, e-mail Message-ID)."""
        return f"alert-{self.alert_id}-r{self.revision}-{self.channel}"


def enqueue(
    conn: Connection,
    alert_id: int,
    event: str,
    channels: list[str],
    *,
    now: datetime,
    settings: AlertsConfig,
) -> int:
    """Queue the alert's current revision for every channel; returns rows queued."""
    row = conn.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).one()
    payload = json.dumps(alert_json(row) | {"event": event})
    rows = [
        {
            "alert_id": alert_id,
            "revision": row.revision,
            "event": event,
            "channel": ch,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "expires_at": now + timedelta(seconds=settings.expire_after),
            "created_at": now,
        }
        for ch in channels
    ]
    if rows:  # ON CONFLICT DO NOTHING: the same revision is never queued twice
        conn.execute(insert_ignoring_conflicts(conn, OUTBOX), rows)
    return len(rows)


def claim(
    conn: Connection, *, now: datetime, lease: float, limit: int, channels: list[str]
) -> list[Delivery]:
    """Take up to `limit` due deliveries for `channels` (pending, or with a lapsed lease)."""
    due = and_(
        OUTBOX.c.channel.in_(channels),
        OUTBOX.c.next_attempt_at <= now,
        or_(
            OUTBOX.c.status == "pending",
            and_(OUTBOX.c.status == "sending", OUTBOX.c.lease_until <= now),
        ),
    )
    query = select(OUTBOX).where(due).order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for row in conn.execute(query).all():
        token = secrets.token_hex(8)
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == row.id)
            .values(
                status="sending",
                claim_token=token,
                attempts=OUTBOX.c.attempts + 1,
                lease_until=now + timedelta(seconds=lease),
            )
        )
        claimed.append(
            Delivery(
                row.id,
                row.alert_id,
                row.revision,
                row.event,
                row.channel,
                json.loads(row.payload),
                row.attempts + 1,
                token,
            )
        )
    return claimed


def mark_sent(conn: Connection, delivery: Delivery, *, now: datetime) -> bool:
    """Record success; False if the claim was lost (another worker took the row over)."""
    result = conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == delivery.id, OUTBOX.c.claim_token == delivery.token)
        .values(status="sent", sent_at=now, lease_until=None, last_error=None)
    )
    return result.rowcount == 1


def mark_failed(
    conn: Connection, delivery: Delivery, error: str, *, now: datetime, settings: AlertsConfig
) -> str:
    """Schedule a retry with exponential backoff, or give up once the row has expired."""
    expires_at = conn.execute(
        select(OUTBOX.c.expires_at).where(OUTBOX.c.id == delivery.id)
    ).scalar_one()
    delay = Backoff(settings.backoff, settings.max_backoff).delay(delivery.attempts - 1)
    retry_at = now + timedelta(seconds=delay)
    status = "expired" if retry_at > expires_at else "pending"
    conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == delivery.id, OUTBOX.c.claim_token == delivery.token)
        .values(status=status, next_attempt_at=retry_at, lease_until=None, last_error=error[:2000])
    )
    return status


def outbox_counts(conn: Connection) -> dict[str, int]:
    """Deliveries per status, for `socialbot status`."""
    rows = conn.execute(select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status))
    return {status: int(n) for status, n in rows}
