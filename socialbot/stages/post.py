"""The post stage: sends approved drafts, exactly the approved text, at most once.

A draft moves approved -> posting (committed) -> connector.reply -> posted. If the
process dies in between, the draft is found in `posting` later; the connector's
`find_own_reply` is asked first, and only if the platform has no such reply is it sent
again. With `[posting] dry_run = true` (the default) nothing is sent: the draft is
marked `dry-run` and the would-be reply logged. Every outcome writes an audit row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, insert, select, text, update

from connectors.base import Connector, ConnectorError, RateLimited, TransientError
from socialbot.clock import Clock, WallClock
from socialbot.config import Config, SourceConfig
from socialbot.domain import Reply
from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.store.tables import AuditRow

logger = logging.getLogger(__name__)

AUDIT = AuditRow.__table__  # type: ignore[attr-defined]
ACTOR = "poster"
#: A draft in `posting` for longer than this was left by a dead process.
POSTING_LEASE = timedelta(minutes=2)
#: After this many sending attempts ending in doubt, a draft is marked failed.
MAX_POST_ATTEMPTS = 3
#: Drafts sent per batch.
POST_BATCH = 20

@dataclass(frozen=True, slots=True)
class Outgoing:
    """An approved draft on its way out."""

    id: int
    platform: str
    watch: str | None
    approved_text: str
    post_attempts: int
    post_id: str


_OUTGOING = (DRAFTS.c.id, DRAFTS.c.platform, DRAFTS.c.watch, DRAFTS.c.approved_text,
             DRAFTS.c.post_attempts, POSTS.c.post_id)

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
        for draft in self._approved():
            answered = self._answered_by_brand(draft)
            if answered:
                # Someone on the team replied by hand meanwhile: a second reply is noise.
                self._fail(draft.id, f"not sent: the brand already replied ({answered})")
                handled += 1
                continue
            if self.dry_run:
                self._dry_run(draft)
                handled += 1
                continue
            connector = self.connector_for(draft.platform, draft.watch)
            if connector is None:
                self._fail(draft.id, f"no [[source]] of kind {draft.platform!r} can post replies")
                handled += 1
                continue
            if not self._start(draft):
                continue  # over budget, or another poster took it
            self._send(connector, draft)
            handled += 1
        return handled

    def _answered_by_brand(self, draft: Outgoing) -> str | None:
        """`@handle id` of a stored reply by one of the watch's own accounts, if any."""
        watch = next((w for w in self.config.watch if w.name == draft.watch), None)
        handles = sorted({h.lower().lstrip("@") for h in watch.reply.handles}) if watch else []
        if not handles:
            return None
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(POSTS.c.author, POSTS.c.post_id).where(
                    POSTS.c.platform == draft.platform,
                    POSTS.c.in_reply_to == draft.post_id,
                    func.lower(POSTS.c.author).in_(handles),
                ).limit(1)
            ).first()
        return f"@{row.author} {row.post_id}" if row else None

    def _approved(self) -> list[Outgoing]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(*_OUTGOING)
                .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
                .where(DRAFTS.c.status == "approved")
                .order_by(DRAFTS.c.decided_at, DRAFTS.c.id)
                .limit(POST_BATCH)
            ).all()
        return [Outgoing(*r) for r in rows]

    def _dry_run(self, draft: Outgoing) -> None:
        now = self.wall.now()
        with self.store.transaction() as conn:
            moved = conn.execute(
                update(DRAFTS).where(DRAFTS.c.id == draft.id, DRAFTS.c.status == "approved")
                .values(status="dry-run", posted_at=now, updated_at=now)
            ).rowcount
            if moved:
                self._audit(conn, now, "draft.dry_run", draft, {"text": draft.approved_text})
        if moved:
            logger.info("dry run: would reply to %s:%s with draft %d: %s", draft.platform,
                        draft.post_id, draft.id, draft.approved_text)

    def _start(self, draft: Outgoing) -> bool:
        """approved -> posting, committed before the platform is called; False if over budget."""
        now = self.wall.now()
        with self.store.transaction() as conn:
            self._lock_platform(conn, draft.platform)
            over = self._over_budget(conn, draft.platform, now)
            if over:
                logger.debug("budget reached on %s (%s); draft %d waits", draft.platform, over,
                             draft.id)
                return False
            moved = conn.execute(
                update(DRAFTS).where(DRAFTS.c.id == draft.id, DRAFTS.c.status == "approved")
                .values(status="posting", posting_at=now, updated_at=now,
                        post_attempts=DRAFTS.c.post_attempts + 1)
            ).rowcount
        return bool(moved)

    def _send(self, connector: Connector, draft: Outgoing) -> None:
        reply = Reply(draft.id, draft.platform, draft.post_id, draft.approved_text)
        try:
            platform_id = connector.reply(reply)
        except RateLimited as exc:
            # Refused before anything was published: safe to try again later.
            self._back_to_approved(draft.id, f"rate limited: {exc}")
            return
        except TransientError as exc:
            # The reply may or may not be out: stay in `posting`; recovery asks the platform.
            self._note_error(draft.id, f"{type(exc).__name__}: {exc}")
            return
        except ConnectorError as exc:  # refused for good (locked thread, bad credentials)
            self._fail(draft.id, f"{type(exc).__name__}: {exc}")
            return
        self._posted(draft, platform_id, recovered=False)

    # -- crash recovery ------------------------------------------------------------------
    def _recover(self) -> int:
        """Drafts left in `posting` by a dead process: find the reply, or send it again."""
        now = self.wall.now()
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(*_OUTGOING)
                .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
                .where(DRAFTS.c.status == "posting", DRAFTS.c.posting_at < now - POSTING_LEASE)
                .order_by(DRAFTS.c.posting_at)
                .limit(POST_BATCH)
            ).all()
        handled = 0
        for draft in [Outgoing(*r) for r in rows]:
            connector = self.connector_for(draft.platform, draft.watch)
            if connector is None:
                self._fail(draft.id, f"no [[source]] of kind {draft.platform!r} to check or "
                           "finish an interrupted reply; check the platform by hand")
                handled += 1
                continue
            reply = Reply(draft.id, draft.platform, draft.post_id, draft.approved_text)
            try:
                found = connector.find_own_reply(reply)
            except ConnectorError as exc:
                logger.warning("cannot check draft %d on %s yet: %s", draft.id, draft.platform, exc)
                continue
            if found is not None:
                self._posted(draft, found, recovered=True)
            elif draft.post_attempts >= MAX_POST_ATTEMPTS:
                self._fail(draft.id, f"not posted after {draft.post_attempts} attempts")
            else:
                if not self._restart(draft):
                    continue
                self._send(connector, draft)
            handled += 1
        return handled

    def _restart(self, draft: Outgoing) -> bool:
        now = self.wall.now()
        with self.store.transaction() as conn:
            moved = conn.execute(
                update(DRAFTS)
                .where(DRAFTS.c.id == draft.id, DRAFTS.c.status == "posting",
                       DRAFTS.c.posting_at < now - POSTING_LEASE)
                .values(posting_at=now, updated_at=now, post_attempts=DRAFTS.c.post_attempts + 1)
            ).rowcount
        return bool(moved)

    # -- outcomes ------------------------------------------------------------------------
    def _posted(self, draft: Outgoing, platform_id: str, *, recovered: bool) -> None:
        now = self.wall.now()
        with self.store.transaction() as conn:
            conn.execute(
                update(DRAFTS).where(DRAFTS.c.id == draft.id)
                .values(status="posted", platform_reply_id=platform_id, posted_at=now,
                        updated_at=now, error=None)
            )
            self._audit(conn, now, "draft.posted", draft, {
                "text": draft.approved_text, "platform_reply_id": platform_id,
                "recovered": recovered,
            })
        logger.info("posted draft %d as %s reply %s to %s%s", draft.id, draft.platform,
                    platform_id, draft.post_id, " (found after a crash)" if recovered else "")

    def _fail(self, draft_id: int, error: str) -> None:
        now = self.wall.now()
        with self.store.transaction() as conn:
            conn.execute(update(DRAFTS).where(DRAFTS.c.id == draft_id)
                         .values(status="failed", error=error, updated_at=now))
            conn.execute(insert(AUDIT).values(at=now, actor=ACTOR, action="draft.post_failed",
                                              subject=f"draft:{draft_id}",
                                              detail=json.dumps({"error": error})))
        logger.error("draft %d not posted: %s", draft_id, error)

    def _note_error(self, draft_id: int, error: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(update(DRAFTS).where(DRAFTS.c.id == draft_id).values(error=error))
        logger.warning("draft %d: sending failed (%s); will check the platform and retry",
                       draft_id, error)

    def _back_to_approved(self, draft_id: int, error: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(update(DRAFTS).where(DRAFTS.c.id == draft_id)
                         .values(status="approved", error=error,
                                 post_attempts=DRAFTS.c.post_attempts - 1))
        logger.warning("draft %d waits: %s", draft_id, error)

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
                    DRAFTS.c.status.in_(["posting", "posted"]),
                    DRAFTS.c.posting_at >= now - window,
                )
            ).scalar_one()
            if sent >= limit:
                return f"{sent} {label} of {limit}"
        return None

    def _audit(self, conn: Connection, now: datetime, action: str, draft: Outgoing,
               detail: dict[str, object]) -> None:
        conn.execute(insert(AUDIT).values(
            at=now, actor=ACTOR, action=action, subject=f"draft:{draft.id}",
            detail=json.dumps({"post": f"{draft.platform}:{draft.post_id}", **detail},
                              ensure_ascii=False),
        ))

    def progress(self, conn: Connection) -> dict[str, int]:
        rows = conn.execute(
            select(DRAFTS.c.status, func.count())
            .where(DRAFTS.c.status.in_(["approved", "posting", "posted", "dry-run", "failed"]))
            .group_by(DRAFTS.c.status)
        ).all()
        return {str(k): int(v) for k, v in rows}


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
