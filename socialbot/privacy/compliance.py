"""The compliance check's bookkeeping: passes over a platform's stored posts, in id order.

A pass starts when the last one finished longer ago than `[privacy]
compliance_interval`, takes the stored posts that were read from the platform's API
(not replayed from a file) a batch at a time, and records where it stands after
each batch, so a restart resumes it. Two workers on one pass may look up the same
batch; X bills a post read twice on one day once, and the meter counts it so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, func, select, update

from socialbot.privacy.erase import Erased, erase_posts, log_erasure
from socialbot.privacy.references import SchemaReferences
from socialbot.privacy.tables import COMPLIANCE_CHECKS
from socialbot.store.dialect import insert_ignoring_conflicts
from socialbot.store.ingest import POSTS, SOURCES


@dataclass(frozen=True, slots=True)
class Batch:
    """Stored posts to look up: row ids and platform ids, in row id order."""

    pks: tuple[int, ...]
    post_ids: tuple[str, ...]


def _read_from_api(platform: str) -> ColumnElement[bool]:
    # posts of sources of the platform's own kind: a replayed file's ids may not exist there
    return POSTS.c.source.in_(select(SOURCES.c.name).where(SOURCES.c.kind == platform))


def pass_position(conn: Connection, platform: str, *, now: datetime,
                  interval: float) -> int | None:
    """Where the pass under way stands (the last row id looked up, 0 at the start); None
    when no pass is due. Starts a pass when one is due."""
    conn.execute(insert_ignoring_conflicts(conn, COMPLIANCE_CHECKS).values(
        platform=platform, checked=0, removed=0))
    row = conn.execute(select(COMPLIANCE_CHECKS)
                       .where(COMPLIANCE_CHECKS.c.platform == platform)).one()
    if row.after_pk is not None:
        return int(row.after_pk)
    if row.last_finished_at and now - row.last_finished_at < timedelta(seconds=interval):
        return None
    conn.execute(update(COMPLIANCE_CHECKS).where(COMPLIANCE_CHECKS.c.platform == platform)
                 .values(pass_started_at=now, after_pk=0, checked=0, removed=0))
    return 0


def to_check(conn: Connection, platform: str, *, after: int) -> int:
    """How many stored posts the pass has still to look up."""
    return int(conn.execute(select(func.count()).select_from(POSTS).where(
        POSTS.c.platform == platform, POSTS.c.id > after, _read_from_api(platform)))
        .scalar_one())


def next_batch(conn: Connection, platform: str, *, after: int, size: int) -> Batch:
    rows = conn.execute(
        select(POSTS.c.id, POSTS.c.post_id)
        .where(POSTS.c.platform == platform, POSTS.c.id > after, _read_from_api(platform))
        .order_by(POSTS.c.id).limit(size)).all()
    return Batch(tuple(int(r.id) for r in rows), tuple(str(r.post_id) for r in rows))


def remove_gone(conn: Connection, refs: SchemaReferences, platform: str, batch: Batch,
                gone: Sequence[str], *, now: datetime) -> Erased:
    """Erase the batch's posts the platform reported gone and move the pass past the batch."""
    pks = [int(pk) for pk in conn.execute(select(POSTS.c.id).where(
        POSTS.c.platform == platform, POSTS.c.post_id.in_(list(gone)),
        POSTS.c.id.in_(batch.pks))).scalars()] if gone else []
    erased = erase_posts(conn, refs, pks)
    if erased.posts:
        log_erasure(conn, reason="compliance", platform=platform, erased=erased, now=now)
    c = COMPLIANCE_CHECKS.c
    conn.execute(update(COMPLIANCE_CHECKS)
                 .where(c.platform == platform, c.after_pk.is_not(None),
                        c.after_pk < max(batch.pks))
                 .values(after_pk=max(batch.pks), checked=c.checked + len(batch.pks),
                         removed=c.removed + erased.posts))
    return erased


def finish_pass(conn: Connection, platform: str, *, now: datetime) -> tuple[int, int]:
    """End the pass under way; returns how many posts it looked up and removed."""
    c = COMPLIANCE_CHECKS.c
    row = conn.execute(select(c.checked, c.removed).where(c.platform == platform)).one()
    conn.execute(update(COMPLIANCE_CHECKS).where(c.platform == platform)
                 .values(after_pk=None, last_finished_at=now))
    return int(row.checked), int(row.removed)
