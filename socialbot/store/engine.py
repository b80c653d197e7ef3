"""Opening the database: SQLite in WAL mode by default, any SQLAlchemy URL by config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from socialbot.errors import ConfigError

#: execution option marking a connection that will write (see _configure_sqlite)
WRITER_OPTION = "socialbot_writer"

#: the databases socialbot runs on (README "Growing past one machine")
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def resolve_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite file path relative to `base_dir` and create its folder."""
    try:
        parsed = make_url(url)
    except Exception:
        raise ConfigError(f"database.url: not a database URL: {url!r}") from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        # one schema and its migrations are kept for these two only
        raise ConfigError(
            f"database.url: {backend} is not supported; use a sqlite:///path or a "
            "postgresql+psycopg://user@host/db URL")
    if backend != "sqlite" or parsed.database in (None, "", ":memory:"):
        return url
    path = Path(parsed.database).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"database.url: cannot create the database's folder {path.parent}: "
            f"{exc.strerror}") from None
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


def create_store_engine(url: str, *, busy_timeout: float = 10.0) -> Engine:
    """An Engine with the connection settings socialbot relies on."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": busy_timeout, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine, busy_timeout)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    """WAL lets readers (status, the queue UI) run while the daemon writes."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The sqlite3 module's own transaction handling would defer BEGIN; take it
        # over so `BEGIN IMMEDIATE` below really locks before the first read.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not _is_memory(engine):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers (Store.transaction) BEGIN IMMEDIATE: they take the lock up front,
        # so two writers wait on the busy timeout instead of failing with
        # "database is locked" half-way. Readers BEGIN DEFERRED and never block.
        immediate = conn.get_execution_options().get(WRITER_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _is_memory(engine: Engine) -> bool:
    return engine.url.database in (None, "", ":memory:")
