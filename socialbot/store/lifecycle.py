"""The draft lifecycle: every change to a draft's state, each guarded and audited.

    drafted ─> pending ─approve/edit─> approved ─start─> posting ─> posted
                 │  ^                    │   │              │  └──> failed (refused, or stuck)
                 │  └──── undo ──────────┘   └─dry run─> dry-run
                 └─reject─> rejected ─undo─> pending         └─rate limited─> approved

Each transition is one function that runs inside the caller's transaction, moves the
row only from the states it may leave (`UPDATE ... WHERE status IN (...)`), bumps the
draft's `version` and writes its audit row in that same transaction; the queue, the
poster, crash recovery and the drafter call only these, so every interface (terminal,
CLI, web) gets the same guards. A refused transition changes nothing and returns
False (or None): the caller lost a race and says so in its own words.

Moderators' claims (`claim`, `renew`, `release`) are leases on a pending draft, not
state changes, and are not audited. The poster claims an approved draft *at the
version it read*: if a moderator undid and re-approved it meanwhile, the claim fails
and the new text is picked up next batch, so the text sent is always the text the
latest approval recorded. Once a draft is `posting` no transition can change its text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, insert, or_, select, update

from socialbot.store.dialect import insert_ignoring_conflicts
from socialbot.store.drafts import DRAFTS, DraftStatus
from socialbot.store.ingest import POSTS
from socialbot.store.tables import AuditRow

AUDIT = AuditRow.__table__  # type: ignore[attr-defined]


#: approvals the poster has taken, one way or another (counted as approved today)
TAKEN_BY_POSTER = (DraftStatus.POSTING, DraftStatus.POSTED, DraftStatus.DRY_RUN,
                   DraftStatus.FAILED)


@dataclass(frozen=True, slots=True)
class DraftRef:
    """Which draft, and the post it answers (for the audit row)."""

    draft_id: int
    platform: str
    post_id: str

    @property
    def subject(self) -> str:
        return f"draft:{self.draft_id}"


def _audit(conn: Connection, ref: DraftRef, *, actor: str, action: str, now: datetime,
           detail: dict[str, object]) -> None:
    conn.execute(insert(AUDIT).values(
        at=now, actor=actor, action=action, subject=ref.subject,
        detail=json.dumps({"post": f"{ref.platform}:{ref.post_id}", **detail},
                          ensure_ascii=False),
    ))


def _move(conn: Connection, ref: DraftRef, *, leaving: Iterable[DraftStatus],
          guards: Iterable[ColumnElement[bool]] = (), values: dict[str, Any],
          actor: str, action: str, now: datetime, detail: dict[str, object]) -> bool:
    """The one guarded UPDATE behind every transition, with its audit row."""
    moved = conn.execute(
        update(DRAFTS)
        .where(DRAFTS.c.id == ref.draft_id, DRAFTS.c.status.in_([str(s) for s in leaving]),
               *guards)
        .values(version=DRAFTS.c.version + 1, updated_at=now, **values)
    ).rowcount
    if moved != 1:
        return False
    _audit(conn, ref, actor=actor, action=action, now=now, detail=detail)
    return True


# -- drafting -------------------------------------------------------------------------
def drafted(conn: Connection, row: dict[str, Any], *, now: datetime) -> bool:
    """Store a new pending draft for the post `row["post_pk"]` (False if it has one)."""
    values = {**row, "status": DraftStatus.PENDING.value, "version": 0,
              "created_at": now, "updated_at": now}
    if not conn.execute(insert_ignoring_conflicts(conn, DRAFTS).values(values)).rowcount:
        return False
    new = conn.execute(
        select(DRAFTS.c.id, POSTS.c.platform, POSTS.c.post_id)
        .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk).where(DRAFTS.c.post_pk == row["post_pk"])
    ).one()
    _audit(conn, DraftRef(new.id, new.platform, new.post_id), actor="drafter",
           action="draft.created", now=now, detail={
               "text": row["text"], "generator": row["generator_version"],
               "flags": [f["code"] for f in json.loads(row["flags"])]})
    return True


# -- moderation -----------------------------------------------------------------------
def free(now: datetime) -> ColumnElement[bool]:
    """Nobody holds a claim on the draft (or the claim has expired)."""
    return or_(DRAFTS.c.claimed_by.is_(None), DRAFTS.c.claim_expires_at < now)


def _held_by(session: str, now: datetime) -> list[ColumnElement[bool]]:
    return [DRAFTS.c.claimed_by == session, DRAFTS.c.claim_expires_at >= now]


def claim(conn: Connection, draft_id: int, *, session: str, until: datetime,
          now: datetime) -> bool:
    """Lease a free pending draft to one moderator's session."""
    return conn.execute(
        update(DRAFTS)
        .where(DRAFTS.c.id == draft_id, DRAFTS.c.status == DraftStatus.PENDING, free(now))
        .values(claimed_by=session, claim_expires_at=until)
    ).rowcount == 1


def renew(conn: Connection, draft_id: int, *, session: str, until: datetime,
          now: datetime) -> bool:
    """Extend a claim this session still holds."""
    return conn.execute(
        update(DRAFTS)
        .where(DRAFTS.c.id == draft_id, DRAFTS.c.status == DraftStatus.PENDING,
               *_held_by(session, now))
        .values(claim_expires_at=until)
    ).rowcount == 1


def release(conn: Connection, *, session: str, draft_id: int | None = None) -> None:
    """Give back one claim, or every claim the session holds."""
    where = [DRAFTS.c.claimed_by == session, DRAFTS.c.status == DraftStatus.PENDING]
    if draft_id is not None:
        where.append(DRAFTS.c.id == draft_id)
    conn.execute(update(DRAFTS).where(*where).values(claimed_by=None, claim_expires_at=None))


def approve(conn: Connection, ref: DraftRef, *, session: str, moderator: str, text: str,
            edited: bool, now: datetime, detail: dict[str, object]) -> bool:
    """pending (claimed by `session`) -> approved with exactly `text`."""
    return _move(conn, ref, leaving=[DraftStatus.PENDING], guards=_held_by(session, now),
                 values={"status": DraftStatus.APPROVED.value, "approved_text": text,
                         "decided_by": moderator, "decided_at": now,
                         "claimed_by": None, "claim_expires_at": None},
                 actor=moderator, action="draft.edit_approve" if edited else "draft.approve",
                 now=now, detail={"text": text, "edited": edited, **detail})


def reject(conn: Connection, ref: DraftRef, *, session: str, moderator: str, reason: str,
           now: datetime, detail: dict[str, object]) -> bool:
    """pending (claimed by `session`) -> rejected, with the reason."""
    return _move(conn, ref, leaving=[DraftStatus.PENDING], guards=_held_by(session, now),
                 values={"status": DraftStatus.REJECTED.value, "reject_reason": reason,
                         "decided_by": moderator, "decided_at": now,
                         "claimed_by": None, "claim_expires_at": None},
                 actor=moderator, action="draft.reject", now=now,
                 detail={"reason": reason, **detail})


def rewrite(conn: Connection, ref: DraftRef, *, session: str, moderator: str,
            values: dict[str, Any], action: str, now: datetime,
            detail: dict[str, object]) -> bool:
    """pending (claimed) -> pending with new drafted text (regenerate, or its undo)."""
    return _move(conn, ref, leaving=[DraftStatus.PENDING], guards=_held_by(session, now),
                 values=values, actor=moderator, action=action, now=now, detail=detail)


def undo_decision(conn: Connection, ref: DraftRef, *, decided: DraftStatus, moderator: str,
                  session: str, until: datetime, now: datetime,
                  edit: tuple[str, str] | None = None) -> bool:
    """approved/rejected by `moderator` -> pending, claimed again by `session`.

    Only from `approved` or `rejected` themselves: once the poster has moved a draft
    to `posting` (or beyond) there is nothing left to undo. `edit` is the text and
    flags (JSON) of an edited approval being undone: the draft goes back to pending
    with the moderator's text, not the model's (which the audit log keeps).
    """
    assert decided in (DraftStatus.APPROVED, DraftStatus.REJECTED)
    values: dict[str, Any] = {"status": DraftStatus.PENDING.value, "approved_text": None,
                              "reject_reason": None, "decided_by": None, "decided_at": None,
                              "claimed_by": session, "claim_expires_at": until}
    detail: dict[str, object] = {
        "undone": "approve" if decided == DraftStatus.APPROVED else "reject"}
    if edit is not None:
        text, flags = edit
        values.update(text=text, flags=flags)
        detail.update(text=text, kept="edit")
    return _move(conn, ref, leaving=[decided], guards=[DRAFTS.c.decided_by == moderator],
                 values=values, actor=moderator, action="draft.undo", now=now, detail=detail)


# -- posting --------------------------------------------------------------------------
POSTER = "poster"


def start_posting(conn: Connection, ref: DraftRef, *, version: int, now: datetime) -> str | None:
    """approved (still at `version`) -> posting; returns the approved text to send.

    None when the draft changed since the poster read it (undone, re-approved,
    taken by another poster): the caller sends nothing.
    """
    return _take_for_sending(conn, ref, version=version, now=now,
                             leaving=DraftStatus.APPROVED, guards=[],
                             values={"status": DraftStatus.POSTING.value, "posting_at": now,
                                     "error": None}, detail={})


def resume_posting(conn: Connection, ref: DraftRef, *, version: int, stale_before: datetime,
                   now: datetime) -> str | None:
    """posting (left by a dead poster, still at `version`) -> posting again, by us."""
    return _take_for_sending(conn, ref, version=version, now=now,
                             leaving=DraftStatus.POSTING,
                             guards=[DRAFTS.c.posting_at < stale_before],
                             values={"posting_at": now}, detail={"resumed": True})


def _take_for_sending(conn: Connection, ref: DraftRef, *, version: int, now: datetime,
                      leaving: DraftStatus, guards: list[ColumnElement[bool]],
                      values: dict[str, Any], detail: dict[str, object]) -> str | None:
    """The poster's claim, at the version it read: the approved text, or None if it moved."""
    text = conn.execute(
        select(DRAFTS.c.approved_text).where(DRAFTS.c.id == ref.draft_id,
                                             DRAFTS.c.version == version)
    ).scalar_one_or_none()
    if text is None or not _move(
        conn, ref, leaving=[leaving], guards=[DRAFTS.c.version == version, *guards],
        values={**values, "post_attempts": DRAFTS.c.post_attempts + 1},
        actor=POSTER, action="draft.posting", now=now, detail={"text": text, **detail},
    ):
        return None
    return str(text)


def posted(conn: Connection, ref: DraftRef, *, text: str, platform_reply_id: str,
           recovered: bool, now: datetime) -> bool:
    """posting -> posted, with the platform's id for the reply."""
    return _move(conn, ref, leaving=[DraftStatus.POSTING],
                 values={"status": DraftStatus.POSTED.value, "posted_at": now,
                         "platform_reply_id": platform_reply_id, "error": None},
                 actor=POSTER, action="draft.posted", now=now,
                 detail={"text": text, "platform_reply_id": platform_reply_id,
                         "recovered": recovered})


def dry_run(conn: Connection, ref: DraftRef, *, version: int, text: str, now: datetime) -> bool:
    """approved (still at `version`) -> dry-run: recorded as if sent, nothing sent."""
    return _move(conn, ref, leaving=[DraftStatus.APPROVED], guards=[DRAFTS.c.version == version],
                 values={"status": DraftStatus.DRY_RUN.value, "posted_at": now},
                 actor=POSTER, action="draft.dry_run", now=now, detail={"text": text})


def wait_for_budget(conn: Connection, ref: DraftRef, *, reason: str, now: datetime) -> bool:
    """posting -> approved: the platform refused before publishing (rate limit)."""
    return _move(conn, ref, leaving=[DraftStatus.POSTING],
                 values={"status": DraftStatus.APPROVED.value, "error": reason,
                         "post_attempts": DRAFTS.c.post_attempts - 1},
                 actor=POSTER, action="draft.post_deferred", now=now, detail={"reason": reason})


def note_error(conn: Connection, ref: DraftRef, *, reason: str) -> None:
    """Record why sending is in doubt; the draft stays `posting` for recovery to check."""
    conn.execute(update(DRAFTS)
                 .where(DRAFTS.c.id == ref.draft_id, DRAFTS.c.status == DraftStatus.POSTING)
                 .values(error=reason))


def fail(conn: Connection, ref: DraftRef, *, leaving: Iterable[DraftStatus], reason: str,
         now: datetime) -> bool:
    """approved/posting -> failed, with the reason people will read in status and the queue."""
    return _move(conn, ref, leaving=leaving,
                 values={"status": DraftStatus.FAILED.value, "error": reason},
                 actor=POSTER, action="draft.post_failed", now=now, detail={"error": reason})
