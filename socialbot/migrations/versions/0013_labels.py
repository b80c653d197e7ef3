"""Labels: what moderators said a post really is (sentiment, need, topics), append-only.

Revision ID: 0013_labels
Revises: 0012_web_users
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0013_labels"
down_revision = "0012_web_users"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A post is named by its identity (platform, post_id), not by a foreign key: labels
    # are evidence like the audit log, so no cascade may rewrite or remove them.
    op.create_table(
        "labels",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("labeller", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("sample", sa.String(16), nullable=False),
        sa.Column("watch", sa.String(100)),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("post_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("predicted", sa.Text),
        sa.Column("model_version", sa.String(200)),
    )
    op.create_index("ix_labels_post", "labels", ["platform", "post_id"])
    _make_labels_append_only()


def _make_labels_append_only() -> None:
    """A correction is a new row: the database refuses edits. Deletes stay possible
    because a label names a post, and erasing an author or an expired post
    (socialbot.privacy) must take its labels with it; nothing else deletes them."""
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER labels_no_update BEFORE UPDATE ON labels "
            "BEGIN SELECT RAISE(ABORT, 'labels is append-only'); END"
        )
    elif op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION labels_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'labels is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER labels_append_only BEFORE UPDATE ON labels "
            "FOR EACH ROW EXECUTE FUNCTION labels_append_only()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS labels_append_only ON labels")
        op.execute("DROP FUNCTION IF EXISTS labels_append_only()")
    op.drop_index("ix_labels_post", table_name="labels")
    op.drop_table("labels")
