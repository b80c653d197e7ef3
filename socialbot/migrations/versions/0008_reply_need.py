"""Reply need: what the classifier's need head said about each post.

Revision ID: 0008_reply_need
Revises: 0007_source_lease
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_reply_need"
down_revision = "0007_source_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null for posts classified by a model without the head (older artefacts, a
    # swapped-in Hugging Face model): the reply policy then reads sentiment instead.
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(sa.Column("need", sa.String(16)))
        batch.add_column(sa.Column("p_complaint", sa.Float))
        batch.add_column(sa.Column("p_question", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("p_question")
        batch.drop_column("p_complaint")
        batch.drop_column("need")
