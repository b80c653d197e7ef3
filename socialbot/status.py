"""What `socialbot status` reports: counts per stage, quarantine, sources, jobs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from socialbot.health.status import health_by_source
from socialbot.stages.base import Stage
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS, DraftStatus
from socialbot.store.ingest import POSTS, QUARANTINE, SOURCES
from socialbot.store.jobs import JOB_RUNS
from socialbot.store.types import utcnow

#: approved drafts the poster gave up on, newest first, shown with their reason
NOT_POSTED_SHOWN = 10


def gather_status(store: Store, stages: Sequence[Stage] = ()) -> dict[str, Any]:
    """A JSON-ready snapshot of the store and the configured stages."""
    now = utcnow()
    with store.engine.connect() as conn:
        by_platform: dict[str, int] = dict(
            conn.execute(select(POSTS.c.platform, func.count()).group_by(POSTS.c.platform)).all()
        )
        quarantine_by_source: dict[str, int] = dict(
            conn.execute(
                select(QUARANTINE.c.source, func.count()).group_by(QUARANTINE.c.source)
            ).all()
        )
        health = health_by_source(conn)
        sources = [
            {
                "name": r.name,
                "kind": r.kind,
                "state": r.state,
                "detail": r.detail,
                "retry_at": r.retry_at.isoformat() if r.retry_at else None,
                "posts_stored": r.posts_stored,
                "quarantined": r.rejected,
                "updated_at": r.updated_at.isoformat(),
                # the ingest worker fetching it; a lapsed lease means that worker died
                # mid-fetch and the next worker to look takes the source over
                "held_by": r.held_by,
                "held_until": r.held_until.isoformat() if r.held_until else None,
                "lease_lapsed": bool(r.held_by and r.held_until and r.held_until <= now),
                # failed polls in a row and open source alerts (socialbot.health)
                "health": health.get(r.name),
            }
            for r in conn.execute(select(SOURCES).order_by(SOURCES.c.name))
        ]
        jobs = [
            {
                "job": r.job,
                "last_started": r.last_started.isoformat() if r.last_started else None,
                "last_finished": r.last_finished.isoformat() if r.last_finished else None,
                "last_processed": r.last_processed,
                "total_processed": r.total_processed,
                "runs": r.runs,
                "last_error": r.last_error,
            }
            for r in conn.execute(select(JOB_RUNS).order_by(JOB_RUNS.c.job))
        ]
        stage_counts = [{"stage": s.name, "kind": s.kind, **s.progress(conn)} for s in stages]
        not_posted = [
            {"draft": r.id, "post": f"{r.platform}:{r.post_id}", "error": r.error,
             "at": r.updated_at.isoformat()}
            for r in conn.execute(
                select(DRAFTS.c.id, DRAFTS.c.platform, POSTS.c.post_id, DRAFTS.c.error,
                       DRAFTS.c.updated_at)
                .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
                .where(DRAFTS.c.status == DraftStatus.FAILED)
                .order_by(DRAFTS.c.updated_at.desc(), DRAFTS.c.id.desc())
                .limit(NOT_POSTED_SHOWN)
            )
        ]
    return {
        "database": store.safe_url,
        "posts": {"total": sum(by_platform.values()), "by_platform": by_platform},
        "quarantine": {
            "total": sum(quarantine_by_source.values()),
            "by_source": quarantine_by_source,
        },
        "stages": stage_counts,
        "sources": sources,
        "jobs": jobs,
        "drafts_not_posted": not_posted,
    }
