"""Web dashboard: its users, their sessions, failed logins; indexes for paging posts.

Revision ID: 0012_web_users
Revises: 0011_source_usage
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0012_web_users"
down_revision = "0011_source_usage"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        # argon2id, with its parameters and salt in the string
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    # Sessions live here, not in the cookie: logging out, removing a user or changing
    # their role ends their sessions at once, on every `serve` process.
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", _ID, sa.ForeignKey("web_users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    # Failed logins, counted per address and per user name to slow down guessing; in
    # the database so that several `serve` processes count together.
    op.create_table(
        "web_login_failures",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
    )
    op.create_index("ix_web_login_failures_at", "web_login_failures", ["at"])
    # The posts page pages by (created_at, id), newest first, optionally for one author:
    # both walks stay on an index however many posts there are.
    op.create_index("ix_posts_created_at_id", "posts", ["created_at", "id"])
    op.create_index("ix_posts_author_created_at", "posts", ["author", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_posts_author_created_at", table_name="posts")
    op.drop_index("ix_posts_created_at_id", table_name="posts")
    op.drop_index("ix_web_login_failures_at", table_name="web_login_failures")
    op.drop_table("web_login_failures")
    op.drop_table("web_sessions")
    op.drop_table("web_users")
