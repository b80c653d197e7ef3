"""Reply drafts: the policy's decision per post, and the drafts the queue moderates.

Revision ID: 0004_drafts
Revises: 0003_trends_alerts
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0004_drafts"
down_revision = "0003_trends_alerts"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "draft_decisions",
        sa.Column("post_pk", _ID, sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("watch", sa.String(100)),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("author", sa.String(200)),
        sa.Column("post_created_at", UTCDateTime, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("claimed_until", UTCDateTime),
        sa.Column("decided_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_draft_decisions_author", "draft_decisions", ["platform", "author"])
    op.create_table(
        "drafts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "post_pk", _ID, sa.ForeignKey("posts.id", ondelete="CASCADE"),
            nullable=False, unique=True,
        ),
        sa.Column("watch", sa.String(100)),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("generator_version", sa.String(200), nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("claim_expires_at", UTCDateTime),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("approved_text", sa.Text),
        sa.Column("reject_reason", sa.Text),
        sa.Column("platform_reply_id", sa.String(200)),
        sa.Column("posting_at", UTCDateTime),
        sa.Column("posted_at", UTCDateTime),
        sa.Column("post_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_drafts_status", "drafts", ["status"])


def downgrade() -> None:
    op.drop_table("drafts")
    op.drop_table("draft_decisions")
