"""The ingest stage: one source's connector -> posts, quarantine and cursor."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, select

from connectors.base import (
    Connector,
    ConnectorError,
    RateLimited,
    SourceStopped,
    TransientError,
    connector_class,
)
from socialbot.clock import Clock, StreamClock, WallClock
from socialbot.config import SourceConfig
from socialbot.errors import ConfigError
from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store
from socialbot.store.ingest import (
    POSTS,
    SOURCES,
    PageWritten,
    read_cursor,
    set_source_state,
    write_page,
)

logger = logging.getLogger(__name__)

#: longest pause after repeated transient failures; the daemon never gives up
MAX_BACKOFF = timedelta(minutes=15)


@dataclass
class IngestTotals:
    pages: int = 0
    new_posts: int = 0
    duplicates: int = 0
    quarantined: int = 0

    def add(self, written: PageWritten) -> None:
        self.pages += 1
        self.new_posts += written.new_posts
        self.duplicates += written.duplicates
        self.quarantined += written.quarantined


def build_connector(source: SourceConfig) -> Connector:
    """The configured connector; a bad option is a configuration error."""
    try:
        return connector_class(source.kind)(source.name, source.options)
    except ConnectorError as exc:
        raise ConfigError(f"source {source.name!r} (kind {source.kind!r}): {exc}") from None


class IngestStage(Stage):
    """Fetches one page per batch and stores it with its cursor in one transaction.

    Faults never escape: a rate limit parks the source until the time the
    platform gave, transient errors back off exponentially with jitter, and a
    credential problem stops this source (with the reason in `status`) while
    every other source and stage goes on.
    """

    kind = "ingest"

    def __init__(
        self,
        store: Store,
        connector: Connector,
        *,
        watch: str | None,
        page_size: int,
        clock: Clock | None = None,
        wall_clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.connector = connector
        self.name = f"ingest:{connector.name}"
        self.watch = watch
        self.page_size = page_size
        self.clock = clock  # stream clock during replay: advanced to the newest post
        self.wall = wall_clock or WallClock()  # back-off is about real time, always
        self.totals = IngestTotals()
        self._failures = 0

    @property
    def source(self) -> str:
        return self.connector.name

    def run_batch(self) -> int:
        with self.store.reading() as conn:
            if not self._may_fetch(conn):
                return 0
            cursor = read_cursor(conn, self.source)
        try:
            page = self.connector.fetch(cursor, limit=self.page_size)
        except Exception as exc:  # every failure is recorded, none ends the daemon
            self._record_failure(exc)
            return 0
        with self.store.transaction() as conn:
            written = write_page(
                conn, page, source=self.source, kind=self.connector.kind, watch=self.watch
            )
        self._failures = 0
        self.totals.add(written)
        if isinstance(self.clock, StreamClock) and page.posts:
            self.clock.advance(max(p.created_at for p in page.posts))
        handled = len(page.posts) + len(page.rejected)
        if handled:
            logger.info(
                "fetched %s: %d new, %d already stored, %d quarantined",
                self.source,
                written.new_posts,
                written.duplicates,
                written.quarantined,
            )
        return handled

    def _may_fetch(self, conn: Connection) -> bool:
        row = conn.execute(
            select(SOURCES.c.state, SOURCES.c.retry_at).where(SOURCES.c.name == self.source)
        ).first()
        if row is None:
            return True
        if row.state == "stopped":
            return False
        return not (row.state == "backing_off" and row.retry_at and row.retry_at > self.wall.now())

    def _record_failure(self, exc: Exception) -> None:
        now = self.wall.now()
        kind = self.connector.kind
        if isinstance(exc, SourceStopped):
            logger.error("source %s stopped: %s", self.source, exc)
            self._set_state("stopped", str(exc), None)
            return
        if isinstance(exc, RateLimited):
            retry_at = datetime.fromtimestamp(exc.retry_at, UTC)
            logger.warning("source %s rate limited until %s", self.source, retry_at.isoformat())
            self._set_state("backing_off", f"rate limited: {exc}", retry_at)
            return
        self._failures += 1
        delay = min(MAX_BACKOFF.total_seconds(), 2.0 ** min(self._failures, 20))
        delay *= random.uniform(0.5, 1.0)  # jitter, so many workers do not retry in step
        if isinstance(exc, TransientError | ConnectorError):
            logger.warning(
                "source %s (%s) failed, retrying in %.0fs: %s", self.source, kind, delay, exc
            )
        else:
            logger.exception(
                "source %s (%s) failed unexpectedly, retrying in %.0fs", self.source, kind, delay
            )
        detail = f"{type(exc).__name__}: {exc}"
        self._set_state("backing_off", detail, now + timedelta(seconds=delay))

    def _set_state(self, state: str, detail: str | None, retry_at: datetime | None) -> None:
        with self.store.transaction() as conn:
            set_source_state(
                conn,
                self.source,
                self.connector.kind,
                state=state,
                detail=detail,
                retry_at=retry_at,
            )

    def progress(self, conn: Connection) -> dict[str, int]:
        stored = conn.execute(
            select(func.count()).select_from(POSTS).where(POSTS.c.source == self.source)
        ).scalar_one()
        return {"stored": int(stored)}

    def close(self) -> None:
        self.connector.close()


def build_ingest_stages(ctx: StageContext) -> list[Stage]:
    """One ingest stage per enabled `[[source]]`."""
    return [
        IngestStage(
            ctx.store,
            build_connector(source),
            watch=source.watch,
            page_size=ctx.config.daemon.page_size,
            clock=ctx.clock,
        )
        for source in ctx.config.source
        if source.enabled
    ]
