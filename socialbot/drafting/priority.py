"""Which posts a social team answers first: one score, for the drafting backlog and the queue.

    priority = 3.0 x 0.5^(age / 6h)       recent first: a reply a day late helps nobody
             + 2.0 x P(complaint)         the need head's probability (else P(negative))
             + 2.0 if part of an open alert   an incident's posts are the ones that spread
             + 1.0 if addressed directly  mentions or replies to a brand account (a post
                                          in the brand's subreddit addresses it less)

A fresh complaint in an open incident scores about 8, the same complaint from yesterday
about 3, a fresh question about 4. Ties go to the older post. Posts carry no follower
count (no connector stores one), so an author's reach is not scored.

Age is measured on the stream's clock, the newest stored post (or the wall clock if that
is earlier): a replayed archive is then judged as it was live, and in a live daemon the
two agree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select, update

from socialbot.drafting.candidates import topics_of
from socialbot.drafting.policy import directly_addressed
from socialbot.store.drafts import DRAFT_DECISIONS, DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS
from socialbot.watching.tables import ALERTS

logger = logging.getLogger(__name__)

RECENCY_WEIGHT = 3.0
RECENCY_HALF_LIFE = timedelta(hours=6)
COMPLAINT_WEIGHT = 2.0
ALERT_WEIGHT = 2.0
DIRECT_WEIGHT = 1.0
#: the newest drafting candidates ranked per claim: bounds the work on a huge backlog
BACKLOG_SCAN = 5000
TOO_OLD = "too_old"


@dataclass(frozen=True, slots=True)
class Urgency:
    """What the score looks at for one post."""

    created_at: datetime
    #: P(complaint) from the need head, else P(negative); 0 when unclassified
    complaint: float
    in_open_alert: bool
    direct: bool


def priority(urgency: Urgency, *, now: datetime) -> float:
    """The post's score (higher is answered sooner); see the module docstring."""
    age = max(now - urgency.created_at, timedelta(0))
    return (RECENCY_WEIGHT * 0.5 ** (age / RECENCY_HALF_LIFE)
            + COMPLAINT_WEIGHT * urgency.complaint
            + ALERT_WEIGHT * urgency.in_open_alert
            + DIRECT_WEIGHT * urgency.direct)


def stream_now(conn: Connection, wall_now: datetime) -> datetime:
    """The newest stored post's time, or `wall_now` when that is earlier (or no post)."""
    newest = conn.execute(select(func.max(POSTS.c.created_at))).scalar_one_or_none()
    return wall_now if newest is None else min(newest, wall_now)


def ranked(conn: Connection, keyed: Sequence[tuple[int, int]], *, now: datetime) -> list[int]:
    """The keys of (key, post_pk) pairs, most urgent post first."""
    if not keyed:
        return []
    pks = [pk for _, pk in keyed]
    rows = {r.id: r for r in conn.execute(
        select(POSTS.c.id, POSTS.c.created_at, POSTS.c.watch, PREDICTIONS.c.p_complaint,
               PREDICTIONS.c.p_negative, PREDICTIONS.c.topics, DRAFT_DECISIONS.c.detail)
        .outerjoin(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
        .outerjoin(DRAFT_DECISIONS, DRAFT_DECISIONS.c.post_pk == POSTS.c.id)
        .where(POSTS.c.id.in_(pks))
    ).all()}
    alerts = conn.execute(
        select(ALERTS.c.watch, ALERTS.c.topic, ALERTS.c.window_start)
        .where(ALERTS.c.status == "open")
    ).all()

    def in_alert(row: Any) -> bool:
        topics = set(topics_of(row.topics)) or {"other"}
        return any(a.watch == row.watch and (not a.topic or a.topic in topics)
                   and row.created_at >= a.window_start for a in alerts)

    scored = []
    for key, pk in keyed:
        r = rows[pk]
        complaint = r.p_complaint if r.p_complaint is not None else (r.p_negative or 0.0)
        urgency = Urgency(r.created_at, float(complaint), in_alert(r),
                          directly_addressed(r.detail or ""))
        scored.append((-priority(urgency, now=now), r.created_at, pk, key))
    return [key for *_, key in sorted(scored)]


def rank_backlog(
    conn: Connection, *, watches: Sequence[str], claimable: ColumnElement[bool], now: datetime
) -> list[tuple[int, str]]:
    """(post_pk, watch) of posts chosen for a draft that have none yet, most urgent first."""
    rows = conn.execute(
        select(DRAFT_DECISIONS.c.post_pk, DRAFT_DECISIONS.c.watch)
        .outerjoin(DRAFTS, DRAFTS.c.post_pk == DRAFT_DECISIONS.c.post_pk)
        .where(DRAFT_DECISIONS.c.decision == "draft", DRAFTS.c.id.is_(None),
               DRAFT_DECISIONS.c.watch.in_(list(watches)), claimable)
        .order_by(DRAFT_DECISIONS.c.post_created_at.desc())
        .limit(BACKLOG_SCAN)
    ).all()
    watch_of = {r.post_pk: r.watch for r in rows}
    order = ranked(conn, [(r.post_pk, r.post_pk) for r in rows], now=now)
    return [(pk, watch_of[pk]) for pk in order]


def skip_too_old(
    conn: Connection, *, watches: Sequence[str], max_age: float, now: datetime,
    claimable: ColumnElement[bool],
) -> int:
    """Record posts still waiting for a draft `max_age` seconds after they were posted (on
    the stream's clock `now`) as skipped, reason "too_old"; posts being drafted (not
    `claimable`) are left to finish."""
    cutoff = now - timedelta(seconds=max_age)
    undrafted = ~DRAFT_DECISIONS.c.post_pk.in_(select(DRAFTS.c.post_pk))
    stale = conn.execute(
        select(DRAFT_DECISIONS.c.post_pk, DRAFT_DECISIONS.c.post_created_at).where(
            DRAFT_DECISIONS.c.decision == "draft", DRAFT_DECISIONS.c.watch.in_(list(watches)),
            DRAFT_DECISIONS.c.post_created_at < cutoff, undrafted, claimable,
        )
    ).all()
    for row in stale:
        conn.execute(
            update(DRAFT_DECISIONS)
            .where(DRAFT_DECISIONS.c.post_pk == row.post_pk, DRAFT_DECISIONS.c.decision == "draft")
            .values(decision="skip", reason=TOO_OLD,
                    detail=f"waited {_human(now - row.post_created_at)} for a draft, longer than "
                           f"[drafting] max_post_age {_human(timedelta(seconds=max_age))}")
        )
    if stale:
        logger.info("%d posts waited past [drafting] max_post_age: no draft", len(stale))
    return len(stale)


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f}h" if hours < 48 else f"{hours / 24:.1f}d"
