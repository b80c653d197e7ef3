"""Fixtures for the dashboard: the demo week replayed into SQLite (ground-truth labels), a
store with pending drafts, users of each role, and a logged-in TestClient."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from socialbot.cli import app as cli
from socialbot.config import Config, load_config
from socialbot.store import Store, open_store
from socialbot.store.web_users import Role, add_user
from socialbot.web.app import build_app
from tests.moderation.support import drafted_store, reply_config
from tests.monitoring.conftest import REPO, TRUTH_BUILDER

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    response = client.post("/login", data={"name": name, "password": password,
                                           "csrf": csrf_of(page.text), "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def add_users(store: Store) -> None:
    for name, role in (("ana", Role.MODERATOR), ("vic", Role.VIEWER), ("root", Role.ADMIN)):
        add_user(store, name, role=role, password=PASSWORD)


@pytest.fixture(scope="session")
def demo_cfg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config file whose database holds the demo week (replayed with ground-truth labels)
    and the dashboard's users."""
    import socialbot.stages as stages

    folder = tmp_path_factory.mktemp("web-demo")
    cfg = folder / "config.toml"
    cfg.write_text((REPO / "config.toml").read_text().replace(
        'url = "sqlite:///var/socialbot.db"', f'url = "sqlite:///{folder / "demo.db"}"'))
    with pytest.MonkeyPatch.context() as mp:
        builders = [b for b in stages.STAGE_BUILDERS
                    if "classify" not in b and "draft" not in b and "post:" not in b]
        mp.setattr(stages, "STAGE_BUILDERS", (builders[0], TRUTH_BUILDER, *builders[1:]))
        result = CliRunner().invoke(cli, ["--config", str(cfg), "replay", "builtin:demo_stream"])
    assert result.exit_code == 0, result.output
    store = open_store(load_config(cfg))
    add_users(store)
    store.dispose()
    yield cfg


@pytest.fixture
def demo(demo_cfg: Path) -> Iterator[tuple[Config, Store]]:
    config = load_config(demo_cfg)
    store = open_store(config)
    yield config, store
    store.dispose()


@pytest.fixture
def demo_client(demo: tuple[Config, Store]) -> Iterator[TestClient]:
    config, store = demo
    with TestClient(build_app(config, store)) as client:
        yield log_in(client, "vic")


@pytest.fixture
def drafts(tmp_path: Path) -> Iterator[tuple[Config, Store]]:
    """Six pending drafts (complaints to @parcelly) and the three users."""
    config = reply_config(tmp_path)
    store = open_store(config)
    drafted_store(store, config, 6)
    add_users(store)
    yield config, store
    store.dispose()


@pytest.fixture
def drafts_app(drafts: tuple[Config, Store]) -> Iterator[TestClient]:
    """A client not logged in, over the drafts store."""
    config, store = drafts
    with TestClient(build_app(config, store)) as client:
        yield client
