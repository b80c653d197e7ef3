"""The spine's tables. Later features add theirs in their own modules + migrations.

The schema itself is owned by the Alembic migrations in `socialbot/migrations`;
these classes describe it for queries and must match them (a test checks).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from socialbot.store.types import UTCDateTime, utcnow

# BigInteger ids on PostgreSQL, plain INTEGER (the rowid alias) on SQLite.
_ID = BigInteger().with_variant(Integer(), "sqlite")


class PostRow(SQLModel, table=True):
    """A stored post. `(platform, post_id)` is its identity."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "post_id", name="uq_posts_platform_post_id"),
        Index("ix_posts_created_at", "created_at"),
        # the dashboard's posts page pages by (created_at, id), per author too
        Index("ix_posts_created_at_id", "created_at", "id"),
        Index("ix_posts_author_created_at", "author", "created_at", "id"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    platform: str = Field(max_length=32)
    post_id: str = Field(max_length=64)
    source: str = Field(max_length=200)
    watch: str | None = Field(default=None, max_length=100)
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    in_reply_to: str | None = Field(default=None, max_length=64)
    conversation_id: str | None = Field(default=None, max_length=64)
    url: str | None = Field(default=None, sa_column=Column(Text))
    lang: str | None = Field(default=None, max_length=16)
    ingested_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class SourceRow(SQLModel, table=True):
    """Each source's cursor and health. The cursor moves with the posts it covers."""

    __tablename__ = "sources"

    name: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=32)
    cursor: str | None = Field(default=None, sa_column=Column(Text))
    #: ok | backing_off | stopped | exhausted
    state: str = Field(default="ok", max_length=16)
    detail: str | None = Field(default=None, sa_column=Column(Text))
    retry_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    posts_stored: int = 0
    rejected: int = 0
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    #: the ingest worker fetching this source now; its lease lapses at `held_until`
    held_by: str | None = Field(default=None, max_length=200)
    held_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class QuarantineRow(SQLModel, table=True):
    """A record that could not be used, kept with why and where it came from."""

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint("source", "position", "fingerprint", name="uq_quarantine_record"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    source: str = Field(max_length=200)
    position: str = Field(max_length=200)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    raw: str = Field(sa_column=Column(Text, nullable=False))
    #: hash of `raw`, so re-reading a file does not quarantine the same line twice
    fingerprint: str = Field(max_length=32)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class AuditRow(SQLModel, table=True):
    """Append-only record of actions people and the bot took (triggers forbid edits)."""

    __tablename__ = "audit_log"

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    subject: str | None = Field(default=None, max_length=200)
    detail: str | None = Field(default=None, sa_column=Column(Text))


class JobRunRow(SQLModel, table=True):
    """When each scheduled job last ran and what it did, for `socialbot status`."""

    __tablename__ = "job_runs"

    job: str = Field(primary_key=True, max_length=200)
    last_started: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_finished: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_processed: int = 0
    total_processed: int = 0
    runs: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
