"""`[privacy] retention`: posts older than the limit go, with their predictions and drafts.

A post is old by its own time (`created_at`, the time the trends count it under).
It waits until the trends have counted it, so `socialbot trends` over the erased span
adds up as before, unless it was stored longer ago than the limit itself (the
classifier may be off, and then nothing is ever counted). A post whose reply is
approved or being posted stays until the poster is done with it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlalchemy import Connection, exists, or_, select

from socialbot.privacy.erase import Erased, erase_posts, log_erasure
from socialbot.privacy.references import SchemaReferences
from socialbot.store.drafts import DRAFTS, DraftStatus
from socialbot.store.ingest import POSTS, QUARANTINE
from socialbot.watching.tables import TREND_COUNTED

#: drafts whose post must stay: a moderator approved them and the poster has not finished
IN_FLIGHT = (DraftStatus.APPROVED.value, DraftStatus.POSTING.value)
#: the erasure log's platform for quarantined records (unreadable, so of no known platform)
UNKNOWN_PLATFORM = "unknown"


def expired_posts(conn: Connection, *, cutoff: datetime, limit: int) -> list[tuple[int, str]]:
    """Up to `limit` (row id, platform) of posts retention may erase now, oldest ids first."""
    counted = exists().where(TREND_COUNTED.c.post_pk == POSTS.c.id)
    in_flight = exists().where(DRAFTS.c.post_pk == POSTS.c.id, DRAFTS.c.status.in_(IN_FLIGHT))
    rows = conn.execute(
        select(POSTS.c.id, POSTS.c.platform)
        .where(POSTS.c.created_at < cutoff, or_(counted, POSTS.c.ingested_at < cutoff),
               ~in_flight)
        .order_by(POSTS.c.id).limit(limit))
    return [(int(pk), str(platform)) for pk, platform in rows]


def apply_retention(conn: Connection, refs: SchemaReferences, *, retention: float,
                    now: datetime, limit: int) -> Erased:
    """Erase one batch of expired posts (and quarantined records older than the limit) in
    `conn`'s transaction, logging one erasure per platform."""
    cutoff = now - timedelta(seconds=retention)
    by_platform: dict[str, list[int]] = defaultdict(list)
    for pk, platform in expired_posts(conn, cutoff=cutoff, limit=limit):
        by_platform[platform].append(pk)
    total = Erased()
    for platform, pks in sorted(by_platform.items()):
        erased = erase_posts(conn, refs, pks)
        if erased.posts:  # another worker may have erased them first
            log_erasure(conn, reason="retention", platform=platform, erased=erased, now=now)
        total += erased
    # records that could not be read as posts still hold the text they came with
    quarantined = conn.execute(QUARANTINE.delete().where(
        QUARANTINE.c.id.in_(select(QUARANTINE.c.id).where(QUARANTINE.c.created_at < cutoff)
                            .limit(limit)))).rowcount
    if quarantined > 0:
        erased = Erased(tables=Counter({QUARANTINE.name: quarantined}))
        log_erasure(conn, reason="retention", platform=UNKNOWN_PLATFORM, erased=erased,
                    now=now)
        total += erased
    return total
