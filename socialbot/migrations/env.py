"""Alembic environment: runs on the connection `Store.upgrade` hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

connection = context.config.attributes["connection"]

if connection.dialect.name == "postgresql":
    # Many workers may start at once against one PostgreSQL; only one migrates.
    connection.execute(text("SELECT pg_advisory_xact_lock(74657374)"))

context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
