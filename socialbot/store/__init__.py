"""The store: one database, reached through `Store`, migrated by Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from socialbot.config import Config
from socialbot.errors import StoreError
from socialbot.store.engine import WRITER_OPTION, create_store_engine, resolve_url

if TYPE_CHECKING:  # alembic is only needed when migrating, not to start the CLI
    from alembic.config import Config as AlembicConfig

__all__ = ["Store", "open_store"]


class Store:
    """A database engine plus the operations every stage shares."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITER_OPTION: True})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside one write transaction: committed on exit, rolled back on error."""
        with self._writer.begin() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only; on SQLite it never waits for a writer."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session; commit explicitly."""
        with Session(self.engine) as session:
            yield session

    def upgrade(self, revision: str = "heads") -> None:
        """Bring the schema up to date (safe to call on every start)."""
        from alembic import command

        try:
            with self._writer.begin() as conn:
                cfg = alembic_config(conn)
                command.upgrade(cfg, revision)
        except OperationalError as exc:
            raise StoreError(f"cannot migrate database {self.safe_url}: {exc.orig}") from None

    def current_revisions(self) -> set[str]:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return set()
            return {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(conn: Connection) -> AlembicConfig:
    """An Alembic Config pointing at the packaged migrations, bound to `conn`."""
    script_dir = Path(str(resources.files("socialbot") / "migrations"))
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(script_dir))
    cfg.attributes["connection"] = conn
    return cfg


def open_store(config: Config, *, migrate: bool = True) -> Store:
    """Open the configured database, migrating it to the newest schema by default."""
    url = resolve_url(config.database.url, config.base_dir)
    try:
        engine = create_store_engine(url, busy_timeout=config.database.busy_timeout)
        store = Store(engine)
        if migrate:
            store.upgrade()
    except OperationalError as exc:
        raise StoreError(f"cannot open database {url}: {exc.orig}") from None
    return store
