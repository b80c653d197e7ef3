"""Read-only views for the CLI: drafts as JSON-ready dicts, and why a post got a draft or not."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from socialbot.domain import PLATFORMS
from socialbot.store import Store
from socialbot.store.drafts import DRAFT_DECISIONS, DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def list_drafts(
    store: Store, *, statuses: Sequence[str] | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Drafts, newest first, with the post they answer."""
    query = (
        select(DRAFTS, POSTS.c.post_id, POSTS.c.author, POSTS.c.text.label("post_text"),
               POSTS.c.url)
        .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
        .order_by(DRAFTS.c.id.desc())
        .limit(limit)
    )
    if statuses:
        query = query.where(DRAFTS.c.status.in_(list(statuses)))
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [_draft_dict(r) for r in rows]


def _draft_dict(r: Any) -> dict[str, Any]:
    return {
        "id": r.id, "status": r.status, "watch": r.watch, "platform": r.platform,
        "post_id": r.post_id, "author": r.author, "post_text": r.post_text, "url": r.url,
        "text": r.text, "approved_text": r.approved_text, "flags": json.loads(r.flags),
        "attempts": r.attempts, "generator_version": r.generator_version, "seed": r.seed,
        "decided_by": r.decided_by, "decided_at": _iso(r.decided_at),
        "reject_reason": r.reject_reason, "platform_reply_id": r.platform_reply_id,
        "error": r.error, "created_at": _iso(r.created_at), "posted_at": _iso(r.posted_at),
        "saved_reply_id": r.saved_reply_id,
        "example_ids": json.loads(r.example_ids) if r.example_ids else [],
    }


def explain(
    store: Store, post_ref: str, *, reply_watches: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """For each stored post matching `post_ref` ("ID" or "PLATFORM:ID"): the policy's
    decision and reason, its draft if any, or why no decision was made yet."""
    platform, _, post_id = post_ref.partition(":")
    if not post_id or platform not in PLATFORMS:
        platform, post_id = "", post_ref
    query = (
        select(POSTS.c.id, POSTS.c.platform, POSTS.c.post_id, POSTS.c.author, POSTS.c.text,
               POSTS.c.watch, PREDICTIONS.c.sentiment, DRAFT_DECISIONS.c.decision,
               DRAFT_DECISIONS.c.reason, DRAFT_DECISIONS.c.detail,
               DRAFT_DECISIONS.c.decided_at)
        .outerjoin(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
        .outerjoin(DRAFT_DECISIONS, DRAFT_DECISIONS.c.post_pk == POSTS.c.id)
        .where(POSTS.c.post_id == post_id)
    )
    if platform:
        query = query.where(POSTS.c.platform == platform)
    out = []
    with store.engine.connect() as conn:
        for r in conn.execute(query).all():
            draft = conn.execute(
                select(DRAFTS, POSTS.c.post_id, POSTS.c.author, POSTS.c.text.label("post_text"),
                       POSTS.c.url)
                .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
                .where(DRAFTS.c.post_pk == r.id)
            ).first()
            out.append({
                "platform": r.platform, "post_id": r.post_id, "author": r.author,
                "text": r.text, "watch": r.watch, "sentiment": r.sentiment,
                "decision": r.decision, "reason": r.reason, "detail": r.detail,
                "decided_at": _iso(r.decided_at),
                "verdict": _verdict(r, reply_watches),
                "draft": _draft_dict(draft) if draft is not None else None,
            })
    return out


def _verdict(r: Any, reply_watches: Sequence[str]) -> str:
    if r.decision == "draft":
        return f"drafted ({r.reason}): {r.detail}"
    if r.decision == "skip":
        return f"no draft ({r.reason}): {r.detail}"
    if r.sentiment is None:
        return "not decided yet: the post has not been classified"
    if r.watch not in reply_watches:
        return f"no reply policy applies: replies are not enabled for watch {r.watch!r}"
    return "not decided yet: the draft stage has not reached this post"
