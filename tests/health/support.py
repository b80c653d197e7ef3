"""A simulated clock shared by the fake API and the stages, and helpers to read alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from socialbot.clock import StreamClock
from socialbot.health.tables import SOURCE_HEALTH
from socialbot.store import Store
from socialbot.store.ingest import SOURCES
from socialbot.watching.tables import ALERTS, OUTBOX
from tests.connectors.conftest import FakeClock


class SimTime:
    """socialbot.clock.StreamClock for the stages, kept in step with the fake API's clock."""

    def __init__(self, fake: FakeClock, *apis: Any) -> None:
        self.fake = fake
        self.apis = apis
        self.clock = StreamClock(datetime.fromtimestamp(fake.now, UTC))

    def now(self) -> datetime:
        return self.clock.now()

    def tick(self, **delta: float) -> None:
        step = timedelta(**delta)
        self.clock.advance(self.clock.now() + step)
        self.fake.now += step.total_seconds()
        for api in self.apis:
            api.now = self.fake.now


def source_alerts(store: Store, kind: str) -> list[Any]:
    with store.reading() as conn:
        return conn.execute(
            select(ALERTS).where(ALERTS.c.kind == kind).order_by(ALERTS.c.id)).all()


def deliveries(store: Store) -> list[tuple[int, str, str]]:
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(
            select(OUTBOX.c.alert_id, OUTBOX.c.event, OUTBOX.c.channel).order_by(OUTBOX.c.id))]


def source_state(store: Store) -> Any:
    with store.reading() as conn:
        return conn.execute(select(SOURCES.c.state, SOURCES.c.detail, SOURCES.c.retry_at)).one()


def health(store: Store) -> Any:
    with store.reading() as conn:
        return conn.execute(select(SOURCE_HEALTH)).one()
