"""The erasure log and the compliance check's progress.

The schema is owned by migration 0014_privacy; these classes describe it for queries
(tests/test_store.py checks they match).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Integer, String, Table
from sqlmodel import Field, SQLModel

from socialbot.store.types import UTCDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")


class ErasureRow(SQLModel, table=True):
    """One erasure: when, why (forget | retention | compliance), where and how much."""

    __tablename__ = "erasure_log"

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    reason: str = Field(sa_column=Column(String(16), nullable=False))
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    posts: int = Field(sa_column=Column(Integer, nullable=False))
    #: every row deleted or cleared, over all tables
    rows: int = Field(sa_column=Column(Integer, nullable=False))


class ComplianceCheckRow(SQLModel, table=True):
    """Where a platform's pass over its stored posts stands, and when the last one ended."""

    __tablename__ = "compliance_checks"

    platform: str = Field(sa_column=Column(String(32), primary_key=True))
    pass_started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    #: the last post row id looked up in the pass under way (None: no pass under way)
    after_pk: int | None = Field(default=None, sa_column=Column(_ID))
    last_finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    #: posts looked up and removed in the pass under way (or the last one)
    checked: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    removed: int = Field(default=0, sa_column=Column(Integer, nullable=False))


ERASURE_LOG: Table = ErasureRow.__table__  # type: ignore[attr-defined]
COMPLIANCE_CHECKS: Table = ComplianceCheckRow.__table__  # type: ignore[attr-defined]
