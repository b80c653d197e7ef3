"""Reply grounding: post embeddings, the brand's saved replies, and where a draft came from.

Revision ID: 0009_reply_grounding
Revises: 0008_reply_need
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0009_reply_grounding"
down_revision = "0008_reply_need"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # The classifier's embedding of each post, as float16 bytes (768 for MiniLM's 384
    # dimensions): what finds approved replies to similar posts. Null for posts
    # classified before this revision (`socialbot reclassify` fills it).
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(sa.Column("embedding", sa.LargeBinary))
    op.create_table(
        "saved_replies",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("watch", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("intent", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("keywords", sa.Text),
        sa.Column("post_pk", _ID, sa.ForeignKey("posts.id", ondelete="SET NULL")),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("watch", "name", name="uq_saved_replies_watch_name"),
    )
    # No foreign key to saved_replies: a saved reply removed from config.toml goes,
    # while the drafts it produced keep saying where they came from.
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("saved_reply_id", _ID))
        batch.add_column(sa.Column("example_ids", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("example_ids")
        batch.drop_column("saved_reply_id")
    op.drop_table("saved_replies")
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("embedding")
