"""The privacy stages: retention (`[privacy] retention`) and the X and Reddit compliance
checks."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from connectors.base import Connector, ConnectorError, PostLookup, RateLimited
from socialbot.clock import Clock, WallClock
from socialbot.config import PrivacyConfig, SourceConfig
from socialbot.metering.budget import month_start
from socialbot.privacy.compliance import (
    finish_pass,
    next_batch,
    pass_position,
    remove_gone,
    to_check,
)
from socialbot.privacy.references import SchemaReferences, reflect_references
from socialbot.privacy.retention import apply_retention
from socialbot.privacy.tables import COMPLIANCE_CHECKS, ERASURE_LOG
from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store
from socialbot.store.usage import reads_since, record_fetch

logger = logging.getLogger(__name__)

#: after finding nothing to erase, retention looks again this much later
RETENTION_PAUSE = timedelta(hours=1)
#: after a failed lookup, the compliance check tries again this much later
FAILURE_PAUSE = timedelta(minutes=15)


class RetentionStage(Stage):
    """Erases posts older than `[privacy] retention`, a batch per transaction."""

    kind = "privacy"
    name = "retention"

    def __init__(self, store: Store, *, retention: float, batch_size: int = 500,
                 clock: Clock | None = None) -> None:
        self.store = store
        self.retention = retention
        self.batch_size = batch_size
        self.clock = clock or WallClock()  # retention is about real time, even in a replay
        self._refs: SchemaReferences | None = None
        self._idle_until: datetime | None = None

    def run_batch(self) -> int:
        now = self.clock.now()
        if self._idle_until and now < self._idle_until:
            return 0
        with self.store.transaction() as conn:
            if self._refs is None:  # the schema does not change under a running daemon
                self._refs = reflect_references(conn)
            erased = apply_retention(conn, self._refs, retention=self.retention, now=now,
                                     limit=self.batch_size)
        handled = erased.posts + erased.tables.get("quarantine", 0)
        if not handled:
            self._idle_until = now + RETENTION_PAUSE
        return handled

    def progress(self, conn: Connection) -> dict[str, int]:
        erased = conn.execute(select(func.coalesce(func.sum(ERASURE_LOG.c.posts), 0))
                              .where(ERASURE_LOG.c.reason == "retention")).scalar_one()
        return {"erased": int(erased)}


class ComplianceStage(Stage):
    """Looks up one platform's stored posts, 100 at a time, and erases those it no longer
    shows.

    The lookups are billable reads of `meter_source` and count against its monthly
    read budget: a pass that would exceed it is skipped (logged) until the budget
    allows it.
    """

    kind = "privacy"

    def __init__(self, store: Store, connector: Connector, *, settings: PrivacyConfig,
                 read_budget: int | None = None, clock: Clock | None = None) -> None:
        self.store = store
        self.connector = connector
        self.platform = connector.kind
        self.name = f"compliance:{self.platform}"
        self.settings = settings
        self.read_budget = read_budget
        self.clock = clock or WallClock()
        self._refs: SchemaReferences | None = None
        self._paused_until: datetime | None = None

    @property
    def meter_source(self) -> str:
        return self.connector.name

    def run_batch(self) -> int:
        now = self.clock.now()
        if self._paused_until and now < self._paused_until:
            return 0
        with self.store.transaction() as conn:
            after = pass_position(conn, self.platform, now=now,
                                  interval=self.settings.compliance_interval)
            if after is None:
                return 0
            batch = next_batch(conn, self.platform, after=after,
                               size=self.connector.lookup_size)
            if not batch.pks:
                checked, removed = finish_pass(conn, self.platform, now=now)
                logger.info("compliance check of %s done: %d posts looked up, %d no longer "
                            "available and deleted", self.platform, checked, removed)
                return 0
            if not self._affordable(conn, after, now):
                return 0
            if self._refs is None:
                self._refs = reflect_references(conn)
        lookup = self._lookup(batch.post_ids, now)
        if lookup is None:
            return 0
        with self.store.transaction() as conn:  # billed even if the erasure then fails
            record_fetch(conn, source=self.meter_source, platform=self.platform,
                         post_ids=lookup.available, now=now)
        with self.store.transaction() as conn:
            remove_gone(conn, self._refs, self.platform, batch, lookup.gone, now=now)
        return len(batch.pks)

    def _affordable(self, conn: Connection, after: int, now: datetime) -> bool:
        """Whether the rest of the pass fits in what is left of the month's read budget."""
        if self.read_budget is None:
            return True
        left = self.read_budget - reads_since(conn, self.meter_source, month_start(now))
        needed = to_check(conn, self.platform, after=after)
        if needed <= left:
            return True
        logger.warning("skipping the %s compliance check: %d lookups would exceed the "
                       "monthly read budget of source %s (%d reads left); it runs again "
                       "when the budget allows", self.platform, needed, self.meter_source,
                       max(left, 0))
        self._paused_until = now + timedelta(seconds=self.settings.compliance_interval)
        return False

    def _lookup(self, ids: tuple[str, ...], now: datetime) -> PostLookup | None:
        try:
            return self.connector.lookup_posts(ids)
        except RateLimited as exc:
            self._paused_until = datetime.fromtimestamp(exc.retry_at, now.tzinfo)
            logger.warning("compliance check of %s waits: %s", self.platform, exc)
        except ConnectorError as exc:
            self._paused_until = now + FAILURE_PAUSE
            logger.warning("compliance check of %s failed, retried in %s: %s", self.platform,
                           FAILURE_PAUSE, exc)
        return None

    def progress(self, conn: Connection) -> dict[str, int]:
        """The pass under way (or the last one): posts looked up, and removed as gone."""
        row = conn.execute(select(COMPLIANCE_CHECKS.c.checked, COMPLIANCE_CHECKS.c.removed)
                           .where(COMPLIANCE_CHECKS.c.platform == self.platform)).first()
        return {"checked": int(row.checked), "removed": int(row.removed)} if row else {}

    def close(self) -> None:
        self.connector.close()


#: the platforms whose stored posts are checked, by source kind
CHECKED_KINDS = ("twitter", "reddit")


def _lookup_sources(sources: list[SourceConfig]) -> list[SourceConfig]:
    """Per checked platform, the first enabled source: its credentials and meter serve."""
    first: dict[str, SourceConfig] = {}
    for source in sources:
        if source.enabled and source.kind in CHECKED_KINDS:
            first.setdefault(source.kind, source)
    return list(first.values())


def build_privacy_stages(ctx: StageContext) -> list[Stage]:
    """Retention when `[privacy] retention` is set; a compliance check per platform with a
    configured X or Reddit source (unless `[privacy] compliance_check` is false)."""
    from socialbot.stages.ingest import build_connector

    cfg = ctx.config
    stages: list[Stage] = []
    if cfg.privacy.retention:
        stages.append(RetentionStage(ctx.store, retention=cfg.privacy.retention))
    for source in _lookup_sources(cfg.source) if cfg.privacy.compliance_check else []:
        budget = None
        if source.monthly_read_budget is not None:
            prices = cfg.pricing.prices_for(source.kind)
            budget = source.monthly_read_budget.posts(prices.post_read if prices else 0.0)
        stages.append(ComplianceStage(ctx.store, build_connector(source),
                                      settings=cfg.privacy, read_budget=budget))
    return stages
