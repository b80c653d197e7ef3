"""`socialbot users add|list|remove`: passwords asked twice and kept only as argon2 hashes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from socialbot.cli import app
from socialbot.config import Config
from socialbot.store import Store
from socialbot.store.web_users import USERS, check_password


def _users(config: Config, *args: str, input: str | None = None) -> tuple[int, str]:
    assert config.path is not None
    result = CliRunner().invoke(app, ["--config", str(config.path), "users", *args], input=input)
    return result.exit_code, result.output


def _config_file(config: Config, tmp_path: Path) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "socialbot.db"}"\n'
                    '[[watch]]\nname = "acme"\n')
    return config.model_copy(update={"path": path})


def test_add_list_remove(config: Config, store: Store, tmp_path: Path) -> None:
    cfg = _config_file(config, tmp_path)
    code, out = _users(cfg, "add", "ana", "--role", "moderator",
                       input="s3cret-pass\ns3cret-pass\n")
    assert code == 0, out
    assert "added ana (moderator)" in out
    with store.reading() as conn:
        stored = conn.execute(select(USERS.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "s3cret-pass" not in stored
    assert check_password(store, "ana", "s3cret-pass") is not None
    assert check_password(store, "ana", "wrong-pass") is None
    code, out = _users(cfg, "list")
    assert "ana" in out and "moderator" in out
    code, out = _users(cfg, "remove", "ana")
    assert code == 0 and "removed ana" in out
    assert check_password(store, "ana", "s3cret-pass") is None


def test_refusals_say_why_in_one_line(config: Config, store: Store, tmp_path: Path) -> None:
    cfg = _config_file(config, tmp_path)
    code, out = _users(cfg, "add", "ana", "--role", "owner", input="s3cret-pass\ns3cret-pass\n")
    assert code == 1 and "--role: use viewer, moderator, admin" in out
    code, out = _users(cfg, "add", "ana", input="short\nshort\n")
    assert code == 1 and "at least 8 characters" in out
    code, out = _users(cfg, "add", "ana", input="s3cret-pass\nanother-pass\ns3cret-pass\n"
                                               "s3cret-pass\n")
    assert code == 0  # the mismatch was asked again, then the matching pair was taken
    assert "do not match" in out.lower() or "match" in out.lower()
    code, out = _users(cfg, "add", "ana", input="s3cret-pass\ns3cret-pass\n")
    assert code == 1 and "already exists" in out
    code, out = _users(cfg, "remove", "nobody")
    assert code == 1 and "no user named 'nobody'" in out
    assert "Traceback" not in out
