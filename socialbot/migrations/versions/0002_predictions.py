"""Classifier output: predictions per post, topics per post.

Revision ID: 0002_predictions
Revises: 0001_spine
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0002_predictions"
down_revision = "0001_spine"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("post_pk", _ID, sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("sentiment", sa.String(16), nullable=False),
        sa.Column("p_negative", sa.Float, nullable=False),
        sa.Column("p_neutral", sa.Float, nullable=False),
        sa.Column("p_positive", sa.Float, nullable=False),
        sa.Column("topics", sa.Text, nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("watch", sa.String(100)),
        sa.Column("classified_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "post_topics",
        sa.Column("post_pk", _ID, sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("topic", sa.String(100), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
    )
    op.create_index("ix_post_topics_topic", "post_topics", ["topic"])


def downgrade() -> None:
    op.drop_table("post_topics")
    op.drop_table("predictions")
