"""The ingest stage: one source's connector -> posts, quarantine and cursor."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, or_, select, update

from connectors.base import (
    Connector,
    ConnectorError,
    RateLimited,
    connector_class,
)
from socialbot.clock import Clock, StreamClock, WallClock
from socialbot.config import IngestConfig, SourceConfig
from socialbot.errors import ConfigError
from socialbot.health.alerts import AlertSink, SourceRef
from socialbot.health.polls import PollWatchdog
from socialbot.metering.sources import connector_spending
from socialbot.metering.spending import SourceSpending
from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store
from socialbot.store.ingest import (
    POSTS,
    SOURCES,
    LeaseLost,
    PageWritten,
    ensure_source,
    read_cursor,
    set_source_state,
    write_page,
)

logger = logging.getLogger(__name__)

#: how long a worker holds a source for one fetch and write: longer than a slow fetch
#: with its retries; a dead worker's source waits this long before another takes it
SOURCE_LEASE = timedelta(minutes=5)


def worker_name() -> str:
    """Who holds a lease, readable in `status`: host, process, and a tag per stage."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def holder_is_gone(holder: str) -> bool:
    """True if `holder` was a worker process on this machine that no longer runs.

    A daemon killed mid-fetch and restarted then goes on at once instead of
    waiting out its old lease; a holder on another machine can only lapse.
    """
    parts = holder.rsplit(":", 2)
    if os.name != "posix" or len(parts) != 3 or parts[0] != socket.gethostname():
        return False  # (on Windows os.kill would terminate the process, not probe it)
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


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
    platform gave; any other failure is explained in one line in `status` and
    decides the next try (socialbot.health.polls: back-off, circuit breaker,
    `source_failing`), while every other source and stage goes on.

    Workers (processes, machines) running the same source share it: each batch
    first takes the source's lease, and a worker that finds it held fetches
    nothing, so each page is read (and, on X, paid for) once. The page is
    written only while the lease is still ours, which releases it.
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
        worker: str | None = None,
        lease: timedelta = SOURCE_LEASE,
        accept: IngestConfig | None = None,
        spending: SourceSpending | None = None,
        watchdog: PollWatchdog | None = None,
    ) -> None:
        self.store = store
        self.connector = connector
        self.name = f"ingest:{connector.name}"
        self.watch = watch
        self.page_size = page_size
        self.clock = clock  # stream clock during replay: advanced to the newest post
        self.wall = wall_clock or WallClock()  # back-off is about real time, always
        self.worker = worker or worker_name()
        self.lease = lease
        self.accept = accept  # `[ingest]`: the range of post dates believed
        self.totals = IngestTotals()
        self.spending = spending  # counts billable reads; paces a read budget
        self.watchdog = watchdog or PollWatchdog()

    @property
    def source(self) -> str:
        return self.connector.name

    @property
    def ref(self) -> SourceRef:
        return SourceRef(self.source, self.connector.kind, self.watch)

    def run_batch(self) -> int:
        with self.store.reading() as conn:  # cheap look first: no write lock to find it busy
            if not self._may_fetch(conn):
                return 0
        if self.spending and not self.spending.page_limit(self.store, now=self.wall.now()):
            return 0  # the month's read budget says wait (or is used up)
        claimed, cursor = self._claim()
        if not claimed:
            return 0
        limit = self.page_size
        if self.spending:  # again, holding the lease: another worker may just have read
            limit = min(limit, self.spending.page_limit(self.store, now=self.wall.now()))
            if not limit:
                self._release_lease()
                return 0
        try:
            page = self.connector.fetch(cursor, limit=limit)
        except Exception as exc:  # every failure is recorded, none ends the daemon
            self._record_failure(exc)
            return 0
        if self.spending:
            self.spending.record(self.store, page, now=self.wall.now())
        try:
            with self.store.transaction() as conn:
                written = write_page(
                    conn,
                    page,
                    source=self.source,
                    kind=self.connector.kind,
                    watch=self.watch,
                    now=self.wall.now(),
                    holder=self.worker,
                    accept=self.accept,
                )
                self.watchdog.answered(conn, self.ref, new_posts=written.new_posts,
                                       now=self.wall.now())
        except LeaseLost:
            logger.warning(
                "source %s: lease lapsed during the fetch; page dropped, its holder reads it",
                self.source,
            )
            return 0
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
            select(
                SOURCES.c.state, SOURCES.c.retry_at, SOURCES.c.held_by, SOURCES.c.held_until
            ).where(SOURCES.c.name == self.source)
        ).first()
        if row is None:
            return True
        now = self.wall.now()
        if (
            row.held_by not in (None, self.worker)
            and row.held_until
            and row.held_until > now
            and not holder_is_gone(row.held_by)
        ):
            return False
        # a stopped source is probed again at `retry_at` (None: at every poll, as for
        # missing credentials, whose check sends no request)
        waiting = row.state in ("backing_off", "stopped")
        return not (waiting and row.retry_at and row.retry_at > now)

    def _claim(self) -> tuple[bool, str | None]:
        """Take the source's lease with a guarded UPDATE; on success, the cursor to fetch from.

        The guard repeats `_may_fetch`'s conditions, so of two workers that both
        looked and found the source free, only the first to update holds it.
        """
        now = self.wall.now()
        with self.store.transaction() as conn:
            ensure_source(conn, self.source, self.connector.kind)
            # on PostgreSQL, a row locked by a worker claiming or writing this source
            # right now is left to it instead of queueing on the lock (SQLite's writers
            # are serialised by BEGIN IMMEDIATE already)
            row = conn.execute(
                select(SOURCES.c.held_by)
                .where(SOURCES.c.name == self.source)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return False, None
            gone = row.held_by if row.held_by and holder_is_gone(row.held_by) else None
            taken = conn.execute(
                update(SOURCES)
                .where(
                    SOURCES.c.name == self.source,
                    or_(
                        SOURCES.c.state.not_in(("backing_off", "stopped")),
                        SOURCES.c.retry_at.is_(None),
                        SOURCES.c.retry_at <= now,
                    ),
                    or_(
                        SOURCES.c.held_by.is_(None),
                        SOURCES.c.held_by == self.worker,
                        SOURCES.c.held_until <= now,
                        SOURCES.c.held_by == gone,
                    ),
                )
                .values(held_by=self.worker, held_until=now + self.lease)
            ).rowcount
            if taken != 1:
                return False, None
            return True, read_cursor(conn, self.source)

    def _release_lease(self) -> None:
        """Give the source back untouched (a read budget said not to fetch)."""
        with self.store.transaction() as conn:
            self._free_lease(conn)

    def _free_lease(self, conn: Connection) -> None:
        conn.execute(
            update(SOURCES)
            .where(SOURCES.c.name == self.source, SOURCES.c.held_by == self.worker)
            .values(held_by=None, held_until=None)
        )

    def _record_failure(self, exc: Exception) -> None:
        if isinstance(exc, RateLimited):  # the platform answered: not a failed poll
            retry_at = datetime.fromtimestamp(exc.retry_at, UTC)
            logger.warning("source %s rate limited until %s", self.source, retry_at.isoformat())
            with self.store.transaction() as conn:
                if self._still_ours(conn):
                    self._release(conn, "backing_off", f"rate limited: {exc}", retry_at)
            return
        with self.store.transaction() as conn:
            if not self._still_ours(conn):
                return
            verdict = self.watchdog.failed(conn, self.ref, exc, now=self.wall.now())
            self._release(conn, verdict.state, verdict.problem.line, verdict.retry_at)
        verdict.log(self.source, exc)

    def _still_ours(self, conn: Connection) -> bool:
        """Whether we still hold the lease; the new holder's view of the source is the newer one."""
        holder = conn.execute(
            select(SOURCES.c.held_by).where(SOURCES.c.name == self.source).with_for_update()
        ).scalar_one_or_none()
        return holder == self.worker

    def _release(
        self, conn: Connection, state: str, detail: str | None, retry_at: datetime | None
    ) -> None:
        """Record the source's health (for `status`) and release our lease."""
        set_source_state(
            conn, self.source, self.connector.kind, state=state, detail=detail, retry_at=retry_at
        )
        self._free_lease(conn)

    def progress(self, conn: Connection) -> dict[str, int]:
        stored = conn.execute(
            select(func.count()).select_from(POSTS).where(POSTS.c.source == self.source)
        ).scalar_one()
        return {"stored": int(stored)}

    def close(self) -> None:
        self.connector.close()


def build_ingest_stages(ctx: StageContext) -> list[Stage]:
    """One ingest stage per enabled `[[source]]`."""
    from socialbot.stages.alerts import channels_for

    cfg = ctx.config
    return [
        IngestStage(
            ctx.store,
            connector,
            watch=source.watch,
            page_size=ctx.config.daemon.page_size,
            clock=ctx.clock,
            accept=ctx.config.ingest,
            spending=connector_spending(connector, source, ctx.config),
            watchdog=PollWatchdog(cfg.health, sink=AlertSink(
                channels_for(cfg, source.watch or ""), cfg.alerts)),
        )
        for source in ctx.config.source
        if source.enabled
        for connector in [build_connector(source)]
    ]
