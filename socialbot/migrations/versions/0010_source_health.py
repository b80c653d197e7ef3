"""Source health: failed polls in a row, last answer and arrival, open source alerts.

Revision ID: 0010_source_health
Revises: 0008_reply_need
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0010_source_health"
down_revision = "0009_reply_grounding"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Kept apart from `sources` (the cursor and lease): every poll writes here, and
    # the silence watchdog reads it without touching the ingest hot path's row.
    op.create_table(
        "source_health",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("failing_since", UTCDateTime),
        sa.Column("problem", sa.Text),
        sa.Column("problem_kind", sa.String(16)),
        sa.Column("last_answer_at", UTCDateTime),
        sa.Column("last_arrival_at", UTCDateTime),
        sa.Column("empty_polls", sa.Integer, nullable=False),
        sa.Column("failing_alert_id", _ID, sa.ForeignKey("alerts.id", ondelete="SET NULL")),
        sa.Column("silent_alert_id", _ID, sa.ForeignKey("alerts.id", ondelete="SET NULL")),
    )


def downgrade() -> None:
    op.drop_table("source_health")
