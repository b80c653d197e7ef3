"""Privacy: the erasure log, and how far each platform's compliance check has got.

Revision ID: 0014_privacy
Revises: 0013_labels
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socialbot.store.types import UTCDateTime

revision = "0014_privacy"
down_revision = "0013_labels"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # That an erasure happened, why and how much, never who or what: a log naming the
    # person who asked to be forgotten would itself be data about them.
    op.create_table(
        "erasure_log",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("posts", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
    )
    # A pass looks up every stored post of a platform in id order; `after_pk` is where it
    # stands, so a restart resumes instead of paying for the same lookups again.
    op.create_table(
        "compliance_checks",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("pass_started_at", UTCDateTime),
        sa.Column("after_pk", _ID),
        sa.Column("last_finished_at", UTCDateTime),
        sa.Column("checked", sa.Integer, nullable=False),
        sa.Column("removed", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("compliance_checks")
    op.drop_table("erasure_log")
