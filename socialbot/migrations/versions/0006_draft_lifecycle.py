"""Draft lifecycle: a version on each draft, so the poster sends only the text it claimed.

Revision ID: 0006_draft_lifecycle
Revises: 0005_trend_settings
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_draft_lifecycle"
down_revision = "0005_trend_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every lifecycle transition bumps `version`; the poster claims a draft at the
    # version it read, so an undo and re-approval in between makes the claim fail
    # instead of sending the text the moderator replaced.
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("version")
