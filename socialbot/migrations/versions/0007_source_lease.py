"""Source lease: which ingest worker holds a source, and until when.

Revision ID: 0007_source_lease
Revises: 0006_draft_lifecycle
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0007_source_lease"
down_revision = "0006_draft_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Two ingest workers on one source would each fetch (and, on X, pay for) every
    # page. A worker holds the source while it fetches and writes a page; a dead
    # worker's lease lapses at `held_until`, so another one takes over.
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("held_by", sa.String(200)))
        batch.add_column(sa.Column("held_until", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("held_until")
        batch.drop_column("held_by")
