"""Tables for what the classifier said about each post.

`predictions` holds one row per post (sentiment, probabilities, model version);
`post_topics` one row per (post, topic) so trends can group by topic in SQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
)
from sqlmodel import Field, SQLModel

from socialbot.store.types import UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class PredictionRow(SQLModel, table=True):
    __tablename__ = "predictions"

    post_pk: int = Field(
        sa_column=Column(_ID, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    )
    sentiment: str = Field(max_length=16)
    p_negative: float = Field(sa_column=Column(Float, nullable=False))
    p_neutral: float = Field(sa_column=Column(Float, nullable=False))
    p_positive: float = Field(sa_column=Column(Float, nullable=False))
    #: JSON list of {"name", "score"}, best first, exactly as shown to people
    topics: str = Field(sa_column=Column(Text, nullable=False))
    model_version: str = Field(max_length=200)
    #: complaint / question / none from the need head; None for models without one
    need: str | None = Field(default=None, max_length=16)
    p_complaint: float | None = Field(default=None, sa_column=Column(Float))
    p_question: float | None = Field(default=None, sa_column=Column(Float))
    #: the classifier's embedding of the post as float16 bytes (socialbot.grounding.vectors);
    #: finds approved replies to similar posts. None for posts classified before it was kept
    embedding: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    #: which watch's topic set was applied (topics differ per watch)
    watch: str | None = Field(default=None, max_length=100)
    classified_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class PostTopicRow(SQLModel, table=True):
    __tablename__ = "post_topics"
    __table_args__ = (Index("ix_post_topics_topic", "topic"),)

    post_pk: int = Field(
        sa_column=Column(_ID, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    )
    topic: str = Field(primary_key=True, max_length=100)
    score: float = Field(sa_column=Column(Float, nullable=False))


PREDICTIONS: Table = PredictionRow.__table__  # type: ignore[attr-defined]
POST_TOPICS: Table = PostTopicRow.__table__  # type: ignore[attr-defined]
