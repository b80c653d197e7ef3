"""INSERT statements that speak each backend's ON CONFLICT dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(conn: Connection, table: Table) -> Any:
    """An INSERT for the connection's backend, with `.on_conflict_do_*` available."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"socialbot supports SQLite and PostgreSQL, not {dialect}")


def insert_ignoring_conflicts(conn: Connection, table: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING: rows already there are left as they are."""
    return dialect_insert(conn, table).on_conflict_do_nothing()
