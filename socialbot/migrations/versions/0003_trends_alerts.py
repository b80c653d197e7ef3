"""Monitoring: trend buckets, counted predictions, alerts, rule state, alert outbox.

Revision ID: 0003_trends_alerts
Revises: 0002_predictions
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0003_trends_alerts"
down_revision = "0002_predictions"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "trend_buckets",
        sa.Column("watch", sa.String(100), primary_key=True),
        sa.Column("topic", sa.String(100), primary_key=True),
        sa.Column("bucket_start", UTCDateTime, primary_key=True),
        sa.Column("sentiment", sa.String(16), primary_key=True),
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("posts", sa.Integer, nullable=False),
    )
    op.create_table(
        "trend_counted",
        sa.Column("post_pk", _ID, sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("watch", sa.String(100), nullable=False),
        sa.Column("bucket_start", UTCDateTime, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("sentiment", sa.String(16), nullable=False),
        sa.Column("topics", sa.Text, nullable=False),
        sa.Column("classified_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("watch", sa.String(100), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("window_start", UTCDateTime, nullable=False),
        sa.Column("window_end", UTCDateTime, nullable=False),
        sa.Column("resolved_at", UTCDateTime),
        sa.Column("observed", sa.Float, nullable=False),
        sa.Column("baseline", sa.Float, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("peak", sa.Float, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_alerts_watch_rule_status", "alerts", ["watch", "rule", "status"])
    op.create_table(
        "alert_rule_state",
        sa.Column("watch", sa.String(100), primary_key=True),
        sa.Column("rule", sa.String(200), primary_key=True),
        sa.Column("evaluated_until", UTCDateTime, nullable=False),
        sa.Column("open_alert_id", _ID, sa.ForeignKey("alerts.id", ondelete="SET NULL")),
        sa.Column("last_anomalous_end", UTCDateTime),
        sa.Column("peak", sa.Float, nullable=False),
        sa.Column("notified_peak", sa.Float, nullable=False),
    )
    op.create_table(
        "alert_outbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("alert_id", _ID, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("claim_token", sa.String(32)),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("alert_id", "revision", "channel", name="uq_alert_outbox_delivery"),
    )
    op.create_index("ix_alert_outbox_due", "alert_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in ("alert_outbox", "alert_rule_state", "alerts", "trend_counted", "trend_buckets"):
        op.drop_table(table)
