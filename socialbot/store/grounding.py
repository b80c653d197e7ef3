"""The brand's saved replies: canned answers per watch, topic and intent.

Seeded from `[[watch.saved_reply]]` in config.toml (source "config") and added from the
moderation queue (source "queue"); see `socialbot.grounding.saved`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from socialbot.store.types import UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class SavedReplyRow(SQLModel, table=True):
    """One reply the brand wrote once and sends again, with `{slots}` filled per post."""

    __tablename__ = "saved_replies"
    __table_args__ = (UniqueConstraint("watch", "name", name="uq_saved_replies_watch_name"),)

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    watch: str = Field(max_length=100)
    #: what moderators call it ("late delivery"), unique per watch
    name: str = Field(max_length=100)
    #: one of the watch's topics, or "other"
    topic: str = Field(max_length=100)
    #: complaint | question | praise
    intent: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    #: JSON list of words a post must contain (one of) to get this reply as is (config)
    keywords: str | None = Field(default=None, sa_column=Column(Text))
    #: the post a moderator saved it from: posts like that one get it as is (queue)
    post_pk: int | None = Field(
        default=None, sa_column=Column(_ID, ForeignKey("posts.id", ondelete="SET NULL"))
    )
    #: "config" (config.toml is the truth for it) or "queue" (saved by a moderator)
    source: str = Field(max_length=16)
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


SAVED_REPLIES: Table = SavedReplyRow.__table__  # type: ignore[attr-defined]
