"""Tables for reply drafts: the policy's decision per post, and the drafts themselves.

`draft_decisions` holds one row per classified post the `draft` stage looked at: drafted,
or skipped with the reason (`socialbot drafts --why`). `drafts` holds one draft per post
and walks pending -> approved/rejected -> posting -> posted | dry-run | failed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Table, Text
from sqlmodel import Field, SQLModel

from socialbot.store.types import UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")

class DraftStatus(StrEnum):
    """Where a draft is in its life (see `socialbot.store.lifecycle`); stored as the string."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    POSTING = "posting"
    POSTED = "posted"
    DRY_RUN = "dry-run"
    FAILED = "failed"


#: Every status a draft can have, in the order it usually moves through them.
DRAFT_STATUSES: tuple[str, ...] = tuple(s.value for s in DraftStatus)


class DraftDecisionRow(SQLModel, table=True):
    """What the reply policy decided for one post, and why."""

    __tablename__ = "draft_decisions"
    __table_args__ = (Index("ix_draft_decisions_author", "platform", "author"),)

    post_pk: int = Field(
        sa_column=Column(_ID, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    )
    watch: str | None = Field(default=None, max_length=100)
    platform: str = Field(max_length=32)
    author: str | None = Field(default=None, max_length=200)
    #: the post's own time, for the per-author cooldown on the stream's clock
    post_created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    #: "draft" or "skip"
    decision: str = Field(max_length=16)
    #: a short code ("own_post", "spam", ...) and a sentence for people
    reason: str = Field(max_length=32)
    detail: str = Field(sa_column=Column(Text, nullable=False))
    #: a drafting worker holds a "draft" decision until its draft is stored (crash recovery)
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    decided_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class DraftRow(SQLModel, table=True):
    """A drafted reply to one post and everything that happened to it."""

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_status", "status"),)

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    post_pk: int = Field(
        sa_column=Column(
            _ID, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    watch: str | None = Field(default=None, max_length=100)
    platform: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=DraftStatus.PENDING.value, max_length=16)
    #: JSON list of {"code", "reason"} from the guardrails; "[]" when the draft passed
    flags: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    attempts: int = 1
    generator_version: str = Field(max_length=200)
    seed: int = 0
    claimed_by: str | None = Field(default=None, max_length=200)
    claim_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    #: exactly what the moderator approved (edited or not); the poster sends this
    approved_text: str | None = Field(default=None, sa_column=Column(Text))
    reject_reason: str | None = Field(default=None, sa_column=Column(Text))
    platform_reply_id: str | None = Field(default=None, max_length=200)
    #: when the poster started sending (status `posting`), for budgets and recovery
    posting_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    posted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    #: how many times the poster has started sending this draft
    post_attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    #: the saved reply this draft was proposed from (generator_version "saved-reply"),
    #: or that its prompt carried; no foreign key, so it outlives the saved reply
    saved_reply_id: int | None = Field(default=None, sa_column=Column(_ID))
    #: JSON list of the approved drafts' ids the prompt carried as examples
    example_ids: str | None = Field(default=None, sa_column=Column(Text))
    #: bumped by every lifecycle transition; the poster claims a draft at a version
    version: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


DRAFT_DECISIONS: Table = DraftDecisionRow.__table__  # type: ignore[attr-defined]
DRAFTS: Table = DraftRow.__table__  # type: ignore[attr-defined]
