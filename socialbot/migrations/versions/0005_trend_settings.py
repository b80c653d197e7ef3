"""Trend settings: the bucket width the trend counts were made in.

Revision ID: 0005_trend_settings
Revises: 0004_drafts
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_trend_settings"
down_revision = "0004_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Left empty here: the trends stage records the configured width on its first
    # batch, since the width counts were made in before this table is not known.
    op.create_table(
        "trend_settings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("bucket_seconds", sa.Float, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_trend_settings_one_row"),
    )


def downgrade() -> None:
    op.drop_table("trend_settings")
