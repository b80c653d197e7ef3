"""The post stage: sends approved drafts, exactly the approved text, at most once.

A draft moves approved -> posting (committed) -> connector.reply -> posted, each step
through `socialbot.store.lifecycle`. The poster claims a draft at the version it read,
so a moderator's undo and re-approval in between wins: the old text is never sent. If
the process dies after the claim, the draft is found in `posting` later; the
connector's `find_own_reply` is asked first, and only if the platform has no such
reply is it sent again. A draft whose fate cannot be checked for `STUCK_AFTER` is
marked failed, with the reason, for a person to look at.

With `[posting] dry_run = true` (the default) nothing is sent on any path: approved
drafts become `dry-run` and the would-be reply is logged; drafts an earlier live run
left in `posting` are marked failed rather than checked or re-sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, text

from connectors.base import Connector, ConnectorError, RateLimited, TransientError
from socialbot.clock import Clock, WallClock
from socialbot.config import Config, SourceConfig
from socialbot.domain import Reply
from socialbot.metering.billing import has_url
from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store, lifecycle
from socialbot.store.brand_replies import brand_replies
from socialbot.store.drafts import DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.store.lifecycle import DraftRef, DraftStatus
from socialbot.store.usage import record_write

logger = logging.getLogger(__name__)

#: A draft in `posting` for longer than this was left by a dead process.
POSTING_LEASE = timedelta(minutes=2)
#: A draft whose reply cannot be confirmed or denied for this long is marked failed.
STUCK_AFTER = timedelta(minutes=30)
#: After this many sending attempts ending in doubt, a draft is marked failed.
MAX_POST_ATTEMPTS = 3
#: Drafts sent per batch.
POST_BATCH = 20


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An approved (or interrupted) draft as the poster read it."""

    id: int
    platform: str
    watch: str | None
    approved_text: str
    post_attempts: int
    post_id: str
    version: int
    posting_at: datetime | None

    @property
    def ref(self) -> DraftRef:
        return DraftRef(self.id, self.platform, self.post_id)


_OUTGOING = (DRAFTS.c.id, DRAFTS.c.platform, DRAFTS.c.watch, DRAFTS.c.approved_text,
             DRAFTS.c.post_attempts, POSTS.c.post_id, DRAFTS.c.version, DRAFTS.c.posting_at)

#: (platform, watch) -> a connector able to reply there, or None when none is configured.
ConnectorFor = Callable[[str, str | None], Connector | None]


class PostStage(Stage):
    """Publishes approved drafts through the platform's connector, within budget."""

    kind = "post"
    name = "post"

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        connector_for: ConnectorFor,
        wall_clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.dry_run = config.posting.dry_run
        self.connector_for = connector_for
        self.wall = wall_clock or WallClock()  # budgets and leases are about real time

    def run_batch(self) -> int:
        return self._recover() + self._send_approved()

    # -- normal path ---------------------------------------------------------------------
    def _send_approved(self) -> int:
        handled = 0
        for draft in self._read(DraftStatus.APPROVED):
            answered = self._answered_by_brand(draft)
            if answered:
                # Someone on the team replied by hand meanwhile: a second reply is noise.
                handled += self._fail(draft, f"not sent: the brand already replied ({answered})")
                continue
            if self.dry_run:
                handled += self._dry_run(draft)
                continue
            connector = self.connector_for(draft.platform, draft.watch)
            if connector is None:
                handled += self._fail(
                    draft, f"no [[source]] of kind {draft.platform!r} can post replies")
                continue
            claimed = self._start(draft)
            if claimed is None:
                continue  # over budget, or changed since read (undone, another poster)
            self._send(connector, draft, claimed)
            handled += 1
        return handled

    def _answered_by_brand(self, draft: Outgoing) -> str | None:
        """`@handle id` of a stored reply by one of the watch's own accounts, if any."""
        watch = next((w for w in self.config.watch if w.name == draft.watch), None)
        if watch is None or not watch.reply.handles:
            return None
        with self.store.engine.connect() as conn:
            rows = brand_replies(conn, [(draft.platform, draft.post_id)], watch.reply.handles)
        return f"@{rows[0].author} {rows[0].post_id}" if rows else None

    def _read(self, status: DraftStatus, *, stale_before: datetime | None = None
              ) -> list[Outgoing]:
        query = (select(*_OUTGOING).join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
                 .where(DRAFTS.c.status == status))
        if stale_before is not None:
            query = query.where(DRAFTS.c.posting_at < stale_before).order_by(DRAFTS.c.posting_at)
        else:
            query = query.order_by(DRAFTS.c.decided_at, DRAFTS.c.id)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query.limit(POST_BATCH)).all()
        return [Outgoing(*r) for r in rows]

    def _dry_run(self, draft: Outgoing) -> int:
        with self.store.transaction() as conn:
            moved = lifecycle.dry_run(conn, draft.ref, version=draft.version,
                                      text=draft.approved_text, now=self.wall.now())
        if moved:
            logger.info("dry run: would reply to %s:%s with draft %d: %s", draft.platform,
                        draft.post_id, draft.id, draft.approved_text)
        return int(moved)

    def _start(self, draft: Outgoing) -> str | None:
        """approved -> posting at the version read, committed before the platform is
        called; the text claimed, or None if over budget or the draft changed."""
        now = self.wall.now()
        with self.store.transaction() as conn:
            self._lock_platform(conn, draft.platform)
            over = self._over_budget(conn, draft.platform, now)
            if over:
                logger.debug("budget reached on %s (%s); draft %d waits", draft.platform, over,
                             draft.id)
                return None
            return lifecycle.start_posting(conn, draft.ref, version=draft.version, now=now)

    def _send(self, connector: Connector, draft: Outgoing, claimed: str) -> None:
        reply = Reply(draft.id, draft.platform, draft.post_id, claimed)
        try:
            platform_id = connector.reply(reply)
        except RateLimited as exc:
            # Refused before anything was published: safe to try again later.
            with self.store.transaction() as conn:
                lifecycle.wait_for_budget(conn, draft.ref, reason=f"rate limited: {exc}",
                                          now=self.wall.now())
            logger.warning("draft %d waits: rate limited: %s", draft.id, exc)
            return
        except TransientError as exc:
            # The reply may or may not be out: stay in `posting`; recovery asks the platform.
            with self.store.transaction() as conn:
                lifecycle.note_error(conn, draft.ref, reason=f"{type(exc).__name__}: {exc}")
            logger.warning("draft %d: sending failed (%s); will check the platform and retry",
                           draft.id, exc)
            return
        except ConnectorError as exc:  # refused for good (locked thread, bad credentials)
            self._fail(draft, f"{type(exc).__name__}: {exc}")
            return
        self._posted(draft, claimed, platform_id, recovered=False, source=connector.name)

    # -- crash recovery ------------------------------------------------------------------
    def _recover(self) -> int:
        """Drafts left in `posting` by a dead process: find the reply, or send it again."""
        now = self.wall.now()
        handled = 0
        for draft in self._read(DraftStatus.POSTING, stale_before=now - POSTING_LEASE):
            if self.dry_run:
                handled += self._fail(
                    draft, "a live run was interrupted while posting this reply; with "
                    "[posting] dry_run = true it is neither checked nor sent again: look on "
                    "the platform whether it went out")
                continue
            connector = self.connector_for(draft.platform, draft.watch)
            if connector is None:
                handled += self._fail(
                    draft, f"no [[source]] of kind {draft.platform!r} to check or finish an "
                    "interrupted reply; check the platform by hand")
                continue
            try:
                found = connector.find_own_reply(
                    Reply(draft.id, draft.platform, draft.post_id, draft.approved_text))
            except ConnectorError as exc:
                handled += self._unconfirmed(draft, exc, now)
                continue
            if found is not None:
                self._posted(draft, draft.approved_text, found, recovered=True,
                             source=connector.name)
            elif draft.post_attempts >= MAX_POST_ATTEMPTS:
                self._fail(draft, f"not posted after {draft.post_attempts} attempts")
            else:
                with self.store.transaction() as conn:
                    claimed = lifecycle.resume_posting(
                        conn, draft.ref, version=draft.version,
                        stale_before=now - POSTING_LEASE, now=now)
                if claimed is None:
                    continue  # another poster resumed it first
                self._send(connector, draft, claimed)
            handled += 1
        return handled

    def _unconfirmed(self, draft: Outgoing, exc: ConnectorError, now: datetime) -> int:
        """The platform cannot say whether the reply went out: wait, but not for ever."""
        started = draft.posting_at or now
        if now - started >= STUCK_AFTER:
            return self._fail(draft, f"could not confirm for {_minutes(now - started)} whether "
                              f"the reply went out ({type(exc).__name__}: {exc}); look on the "
                              "platform, and post it by hand if it is not there")
        with self.store.transaction() as conn:
            lifecycle.note_error(conn, draft.ref,
                                 reason=f"cannot check yet: {type(exc).__name__}: {exc}")
        logger.warning("cannot check draft %d on %s yet: %s", draft.id, draft.platform, exc)
        return 0

    # -- outcomes ------------------------------------------------------------------------
    def _posted(self, draft: Outgoing, sent: str, platform_id: str, *, recovered: bool,
                source: str) -> None:
        with self.store.transaction() as conn:
            moved = lifecycle.posted(conn, draft.ref, text=sent, platform_reply_id=platform_id,
                                     recovered=recovered, now=self.wall.now())
            if moved:  # the platform bills the post created, found after a crash or not
                record_write(conn, source=source, platform=draft.platform,
                             with_url=has_url(sent), now=self.wall.now())
        logger.info("posted draft %d as %s reply %s to %s%s", draft.id, draft.platform,
                    platform_id, draft.post_id, " (found after a crash)" if recovered else "")

    def _fail(self, draft: Outgoing, error: str) -> int:
        with self.store.transaction() as conn:
            moved = lifecycle.fail(conn, draft.ref, reason=error, now=self.wall.now(),
                                   leaving=[DraftStatus.APPROVED, DraftStatus.POSTING])
        if moved:
            logger.error("draft %d not posted: %s", draft.id, error)
        return int(moved)

    # -- budgets -------------------------------------------------------------------------
    def _lock_platform(self, conn: Connection, platform: str) -> None:
        """Serialise budget checks per platform across PostgreSQL workers (SQLite's
        BEGIN IMMEDIATE already serialises writers)."""
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                         {"k": f"socialbot-post:{platform}"})

    def _over_budget(self, conn: Connection, platform: str, now: datetime) -> str | None:
        budget = self.config.posting.budget_for(platform)
        for window, limit, label in ((timedelta(hours=1), budget.per_hour, "per hour"),
                                     (timedelta(days=1), budget.per_day, "per day")):
            sent = conn.execute(
                select(func.count()).select_from(DRAFTS).where(
                    DRAFTS.c.platform == platform,
                    DRAFTS.c.status.in_([DraftStatus.POSTING, DraftStatus.POSTED]),
                    DRAFTS.c.posting_at >= now - window,
                )
            ).scalar_one()
            if sent >= limit:
                return f"{sent} {label} of {limit}"
        return None

    def progress(self, conn: Connection) -> dict[str, int]:
        rows = conn.execute(
            select(DRAFTS.c.status, func.count())
            .where(DRAFTS.c.status.in_([DraftStatus.APPROVED, *lifecycle.TAKEN_BY_POSTER]))
            .group_by(DRAFTS.c.status)
        ).all()
        return {str(k): int(v) for k, v in rows}


def _minutes(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 60)} min"


class SourceConnectors:
    """Connectors for replying, built on first use from the configured `[[source]]`s."""

    def __init__(self, sources: list[SourceConfig],
                 build: Callable[[SourceConfig], Connector] | None = None) -> None:
        self.sources = sources
        self._build = build
        self._cache: dict[str, Connector] = {}

    def __call__(self, platform: str, watch: str | None) -> Connector | None:
        matching = [s for s in self.sources if s.kind == platform]
        chosen = next((s for s in matching if s.watch == watch), None) or next(iter(matching), None)
        if chosen is None:
            return None
        if chosen.name not in self._cache:
            if self._build is None:
                from socialbot.stages.ingest import build_connector

                self._build = build_connector
            self._cache[chosen.name] = self._build(chosen)
        return self._cache[chosen.name]

    def close(self) -> None:
        for connector in self._cache.values():
            connector.close()
        self._cache.clear()


class _PostStageWithSources(PostStage):
    def __init__(self, store: Store, config: Config) -> None:
        self.connectors = SourceConnectors(list(config.source))
        super().__init__(store, config, connector_for=self.connectors)

    def close(self) -> None:
        self.connectors.close()


def build_post_stages(ctx: StageContext) -> list[Stage]:
    """The poster, when any watch drafts replies (it only ever sends approved drafts)."""
    if not any(w.reply.enabled for w in ctx.config.watch):
        return []
    return [_PostStageWithSources(ctx.store, ctx.config)]
