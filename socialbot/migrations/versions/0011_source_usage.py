"""Source usage: billable reads and writes per source and UTC day, and read budget stops.

Revision ID: 0011_source_usage
Revises: 0008_reply_need
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0011_source_usage"
down_revision = "0010_source_health"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # X bills every post read and created: these counts are what `status` turns into
    # money, and what a source's monthly read budget is checked against.
    op.create_table(
        "source_usage",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("reads", sa.Integer, nullable=False),
        sa.Column("writes", sa.Integer, nullable=False),
        sa.Column("url_writes", sa.Integer, nullable=False),
        sa.Column("last_fetch_at", UTCDateTime),
    )
    # Only today's ids are kept: X bills a post read again on the same UTC day once.
    op.create_table(
        "billed_reads",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("post_id", sa.String(200), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
    )
    # The primary key makes the budget alert go out once per source and month, however
    # many workers find the budget used up at the same moment.
    op.create_table(
        "read_budget_stops",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("month", sa.Date, primary_key=True),
        sa.Column("stopped_at", UTCDateTime, nullable=False),
        sa.Column("reads", sa.Integer, nullable=False),
        sa.Column("budget", sa.Integer, nullable=False),
        sa.Column("alert_id", _ID, sa.ForeignKey("alerts.id", ondelete="SET NULL")),
    )


def downgrade() -> None:
    op.drop_table("read_budget_stops")
    op.drop_table("billed_reads")
    op.drop_table("source_usage")
