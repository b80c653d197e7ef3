"""The `source_health` table: each source's run of failed polls, last answer and open alerts.

The schema is owned by migration 0010_source_health; this class describes it for
queries (tests/test_store.py checks they match).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text
from sqlmodel import Field, SQLModel

from socialbot.store.types import UTCDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")


class SourceHealthRow(SQLModel, table=True):
    """How a source's polls have gone lately; written by every poll, read by the watchdog."""

    __tablename__ = "source_health"

    source: str = Field(sa_column=Column(String(200), primary_key=True))
    #: failed polls in a row; 0 after any poll the platform answered
    failures: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    failing_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    #: the latest failure in one line (never a secret), and what kind of failure it was:
    #: credentials | refused | transient | unexpected
    problem: str | None = Field(default=None, sa_column=Column(Text))
    problem_kind: str | None = Field(default=None, sa_column=Column(String(16)))
    #: the last poll the platform answered, and the last one that stored a new post
    last_answer_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_arrival_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    #: answered polls in a row that stored nothing new
    empty_polls: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    failing_alert_id: int | None = Field(
        default=None, sa_column=Column(_ID, ForeignKey("alerts.id", ondelete="SET NULL"))
    )
    silent_alert_id: int | None = Field(
        default=None, sa_column=Column(_ID, ForeignKey("alerts.id", ondelete="SET NULL"))
    )


SOURCE_HEALTH: Table = SourceHealthRow.__table__  # type: ignore[attr-defined]
