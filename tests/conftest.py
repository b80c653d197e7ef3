"""Shared fixtures: a fresh database per test, configs, and JSONL writers."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from socialbot.config import Config, parse_config
from socialbot.store import Store, open_store

PG_ADMIN_URL = os.environ.get(
    "SOCIALBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def make_config(tmp_path: Path, **sections: Any) -> Config:
    """A config whose database is a fresh SQLite file under `tmp_path`."""
    data: dict[str, Any] = {
        "database": {"url": f"sqlite:///{tmp_path / 'socialbot.db'}"},
        "classifier": {"enabled": False},  # tests that want a model bring their own
    }
    data.update(sections)
    return parse_config(data, path=tmp_path / "config.toml")


@pytest.fixture(autouse=True)
def _fresh_reddit_paces() -> Iterator[None]:
    """Each test starts as a fresh process: no Reddit client's standing is known yet
    (the pace is shared per client id across the process, so it would leak between
    tests that use the same fake credentials)."""
    from connectors.reddit_pacing import forget_paces

    forget_paces()
    yield
    forget_paces()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, watch=[{"name": "acme", "brand": "Acme"}])


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    s = open_store(config)
    yield s
    s.dispose()


def _postgres_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server answers at {PG_ADMIN_URL} ({type(exc).__name__})")
    name = f"socialbot_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same test on SQLite and on a real, freshly created PostgreSQL database."""
    if request.param == "sqlite":
        cfg = make_config(tmp_path)
        s = open_store(cfg)
        yield s
        s.dispose()
        return
    gen = _postgres_database()
    url = next(gen)
    s = open_store(parse_config({"database": {"url": url}}))
    try:
        yield s
    finally:
        s.dispose()
        next(gen, None)


def post_line(i: int, **overrides: Any) -> str:
    """One valid JSONL post line, numbered `i`."""
    obj = {
        "platform": "twitter" if i % 3 else "reddit",
        "id": str(1850000000000000000 + i),
        "author": f"user{i}",
        "text": f"post number {i} about acme",
        "created_at": f"2026-11-01T{(i // 60) % 24:02d}:{i % 60:02d}:00Z",
        "in_reply_to": None,
        "conversation_id": None,
        "url": None,
        "lang": "en",
    }
    obj.update(overrides)
    return json.dumps(obj)


def write_jsonl(path: Path, lines: list[str | bytes]) -> Path:
    with path.open("wb") as fh:
        for line in lines:
            fh.write(line if isinstance(line, bytes) else line.encode("utf-8"))
            fh.write(b"\n")
    return path
