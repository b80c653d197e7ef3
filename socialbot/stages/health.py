"""The health stage: raise `source_silent` for live sources that stopped delivering."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, update

from connectors.base import ConnectorError, connector_class
from socialbot.clock import Clock, WallClock
from socialbot.config import HealthConfig
from socialbot.errors import ConfigError
from socialbot.health.alerts import AlertSink, SourceRef, open_alert
from socialbot.health.arrivals import ArrivalRate, last_arrival, learn_rate
from socialbot.health.polls import health_row
from socialbot.health.silence import judge_silence
from socialbot.health.tables import SOURCE_HEALTH
from socialbot.health.text import SILENT
from socialbot.metering.budget import month_start
from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store
from socialbot.store.usage import budget_stop

logger = logging.getLogger(__name__)


class HealthStage(Stage):
    """Judges every live source's silence against its learned rate; opens one alert each.

    The alert resolves when posts arrive again, in the ingest transaction that
    stores them (socialbot.health.polls). A learned rate is cached until the
    source's next arrival.
    """

    kind = "health"
    name = "health"

    def __init__(
        self, store: Store, sources: list[SourceRef], *, settings: HealthConfig,
        sinks: dict[str, AlertSink], clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.sources = sources
        self.settings = settings
        self.sinks = sinks
        self.clock = clock or WallClock()  # arrivals are stamped with the wall clock
        self._rates: dict[str, tuple[datetime, ArrivalRate | None]] = {}

    def run_batch(self) -> int:
        now = self.clock.now()
        opened = 0
        for source in self.sources:
            with self.store.reading() as conn:
                row = conn.execute(
                    select(SOURCE_HEALTH).where(SOURCE_HEALTH.c.source == source.name)
                ).first()
                if row is None or row.silent_alert_id is not None:
                    continue
                if budget_stop(conn, source.name, month_start(now)) is not None:
                    continue  # quiet because its read budget stopped it, and that alerted
                since = row.last_arrival_at or last_arrival(conn, source.name)
                if since is None:
                    continue  # nothing ever arrived: there is no normal to compare with
                if now - since < timedelta(seconds=self.settings.min_silence):
                    continue  # posts flow: no need to learn (or scan) anything
                # normal is what came before the silence, not the silence itself
                rate = self._rate(conn, source.name, since)
                silence = judge_silence(row, rate, since=since, now=now, settings=self.settings)
            if silence is None:
                continue
            with self.store.transaction() as conn:
                fresh = health_row(conn, source.name)
                moved = fresh.last_arrival_at != row.last_arrival_at
                if fresh.silent_alert_id is not None or moved:
                    continue  # another worker raised it, or posts came meanwhile
                alert_id = open_alert(
                    conn, self.sinks[source.name], source, kind=SILENT, line=silence.line,
                    since=silence.since, now=now, observed=0.0, baseline=silence.expected,
                    score=silence.probability, method=silence.method)
                conn.execute(update(SOURCE_HEALTH).where(SOURCE_HEALTH.c.source == source.name)
                             .values(silent_alert_id=alert_id))
            opened += 1
        return opened

    def _rate(self, conn: Connection, source: str, until: datetime) -> ArrivalRate | None:
        cached = self._rates.get(source)
        if cached is None or cached[0] != until:
            rate = learn_rate(conn, source, until=until, days=self.settings.learn_days)
            self._rates[source] = cached = (until, rate)
        return cached[1]

    def progress(self, conn: Connection) -> dict[str, int]:
        failing = conn.execute(select(func.count()).select_from(SOURCE_HEALTH).where(
            SOURCE_HEALTH.c.failing_alert_id.is_not(None))).scalar_one()
        silent = conn.execute(select(func.count()).select_from(SOURCE_HEALTH).where(
            SOURCE_HEALTH.c.silent_alert_id.is_not(None))).scalar_one()
        return {"failing": int(failing), "silent": int(silent)}


def build_health_stages(ctx: StageContext) -> list[Stage]:
    """One health stage over every enabled live source (none without one)."""
    from socialbot.stages.alerts import channels_for

    cfg = ctx.config
    try:
        live = [s for s in cfg.source if s.enabled and connector_class(s.kind).live]
    except ConnectorError as exc:
        raise ConfigError(f"[[source]] kind: {exc}") from None
    if not live:
        return []
    sinks = {s.name: AlertSink(channels_for(cfg, s.watch or ""), cfg.alerts) for s in live}
    refs = [SourceRef(s.name, s.kind, s.watch) for s in live]
    return [HealthStage(ctx.store, refs, settings=cfg.health, sinks=sinks)]
