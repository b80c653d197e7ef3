"""Tables for monitoring: trend buckets, the posts they count, alerts and their outbox.

The schema is owned by migrations 0003_trends_alerts and 0005_trend_settings;
these classes describe it for queries (tests/test_store.py checks they match).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from socialbot.store.types import UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")

#: the pseudo-topic under which every post of a watch is counted once
ALL_TOPICS = "*"


class TrendBucketRow(SQLModel, table=True):
    """Posts per base bucket x watch x topic x sentiment x platform."""

    __tablename__ = "trend_buckets"

    watch: str = Field(sa_column=Column(String(100), primary_key=True))
    topic: str = Field(sa_column=Column(String(100), primary_key=True))
    bucket_start: datetime = Field(sa_column=Column(UTCDateTime, primary_key=True))
    sentiment: str = Field(sa_column=Column(String(16), primary_key=True))
    platform: str = Field(sa_column=Column(String(32), primary_key=True))
    posts: int = Field(sa_column=Column(Integer, nullable=False))


class TrendCountedRow(SQLModel, table=True):
    """A prediction already added to the buckets, and exactly what it added.

    Keeping what was added lets a re-classified post be subtracted and counted
    again, so `socialbot reclassify` keeps the trends right.
    """

    __tablename__ = "trend_counted"

    post_pk: int = Field(
        sa_column=Column(_ID, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    )
    watch: str = Field(sa_column=Column(String(100), nullable=False))
    bucket_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    sentiment: str = Field(sa_column=Column(String(16), nullable=False))
    #: the topics counted, comma-separated
    topics: str = Field(sa_column=Column(Text, nullable=False))
    #: the prediction's classified_at when counted; a newer one is counted again
    classified_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TrendSettingsRow(SQLModel, table=True):
    """The one row saying which bucket width the trend counts were made in.

    `[trends] bucket` can change between runs; counts made at another width must
    not be mixed with new ones (see socialbot.watching.bucket_width).
    """

    __tablename__ = "trend_settings"
    __table_args__ = (CheckConstraint("id = 1", name="ck_trend_settings_one_row"),)

    id: int = Field(default=1, sa_column=Column(Integer, primary_key=True, autoincrement=False))
    bucket_seconds: float = Field(sa_column=Column(Float, nullable=False))


class AlertRow(SQLModel, table=True):
    """One incident: opened by one rule, joined by the rules firing on the same posts
    (listed in `detail`), updated while it lasts, then resolved."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_watch_rule_status", "watch", "rule", "status"),)

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    watch: str = Field(sa_column=Column(String(100), nullable=False))
    rule: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    topic: str = Field(sa_column=Column(String(100), nullable=False))
    #: open | resolved
    status: str = Field(sa_column=Column(String(16), nullable=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    window_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    window_end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    observed: float = Field(sa_column=Column(Float, nullable=False))
    baseline: float = Field(sa_column=Column(Float, nullable=False))
    score: float = Field(sa_column=Column(Float, nullable=False))
    peak: float = Field(sa_column=Column(Float, nullable=False))
    #: JSON: how the baseline was computed, top posts, rising phrases, the rules that
    #: joined and the history (socialbot.watching.incidents)
    detail: str = Field(sa_column=Column(Text, nullable=False))
    #: bumped on every change that is delivered (opened=1, updated (a rule joined),
    #: escalated, resolved)
    revision: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class AlertRuleStateRow(SQLModel, table=True):
    """How far each rule has judged the buckets, and its open incident if any."""

    __tablename__ = "alert_rule_state"

    watch: str = Field(sa_column=Column(String(100), primary_key=True))
    rule: str = Field(sa_column=Column(String(200), primary_key=True))
    evaluated_until: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    open_alert_id: int | None = Field(
        default=None, sa_column=Column(_ID, ForeignKey("alerts.id", ondelete="SET NULL"))
    )
    last_anomalous_end: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    peak: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    notified_peak: float = Field(default=0.0, sa_column=Column(Float, nullable=False))


class OutboxRow(SQLModel, table=True):
    """One alert revision to send through one channel, retried until sent or expired."""

    __tablename__ = "alert_outbox"
    __table_args__ = (
        UniqueConstraint("alert_id", "revision", "channel", name="uq_alert_outbox_delivery"),
        Index("ix_alert_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    alert_id: int = Field(
        sa_column=Column(_ID, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False)
    )
    revision: int = Field(sa_column=Column(Integer, nullable=False))
    #: opened | updated | escalated | resolved
    event: str = Field(sa_column=Column(String(16), nullable=False))
    channel: str = Field(sa_column=Column(String(200), nullable=False))
    #: the alert as it was at this revision (JSON), so a retry sends the same message
    payload: str = Field(sa_column=Column(Text, nullable=False))
    #: pending | sending | sent | expired
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    claim_token: str | None = Field(default=None, sa_column=Column(String(32)))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


TREND_BUCKETS: Table = TrendBucketRow.__table__  # type: ignore[attr-defined]
TREND_COUNTED: Table = TrendCountedRow.__table__  # type: ignore[attr-defined]
TREND_SETTINGS: Table = TrendSettingsRow.__table__  # type: ignore[attr-defined]
ALERTS: Table = AlertRow.__table__  # type: ignore[attr-defined]
ALERT_RULE_STATE: Table = AlertRuleStateRow.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
