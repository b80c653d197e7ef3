"""`socialbot drafts`: list drafts by status, and explain the policy's decision for a post."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialbot.cli import app
from socialbot.moderation.queue import ModerationQueue
from socialbot.store import open_store
from tests.moderation.support import FakeClock, add_post, drafted_store, reply_config


@pytest.fixture
def cli_config(tmp_path: Path) -> Path:
    config = reply_config(tmp_path)
    store = open_store(config)
    drafted_store(store, config, 2)
    add_post(store, "praise1", "@parcelly courier was lovely", author="fan", sentiment="positive")
    add_post(store, "new1", "@parcelly late!", author="late", sentiment=None)
    from tests.drafting.test_draft_stage import drain, stage
    from tests.moderation.support import EchoGenerator

    drain(stage(store, config, EchoGenerator()))
    queue = ModerationQueue(store, moderator="ana", clock=FakeClock())
    item = queue.next()
    assert item
    queue.reject(item, "not needed")
    store.dispose()
    path = tmp_path / "config.toml"
    path.write_text(
        f'[database]\nurl = "{config.database.url}"\n\n'
        '[[watch]]\nname = "parcelly"\n\n'
        '[watch.reply]\nenabled = true\nhandles = ["parcelly"]\n'
    )
    return path


def run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_drafts_json_and_status_filter(cli_config: Path) -> None:
    rows = [json.loads(line) for line in run(cli_config, "drafts", "--json").splitlines()]
    assert [(r["post_id"], r["status"]) for r in rows] == [("twitter1", "pending"),
                                                          ("twitter0", "rejected")]
    only = run(cli_config, "drafts", "--status", "rejected", "--json").splitlines()
    assert [json.loads(line)["reject_reason"] for line in only] == ["not needed"]
    assert "twitter0" in run(cli_config, "drafts")


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("twitter0", "drafted (negative)"), ("twitter:praise1", "no draft (no_need)"),
     ("new1", "not been classified")],
)
def test_why_explains_the_decision(cli_config: Path, ref: str, expected: str) -> None:
    assert expected in run(cli_config, "drafts", "--why", ref)


def test_why_unknown_post_and_unknown_status_fail(cli_config: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(cli_config), "drafts", "--why", "nope"])
    assert result.exit_code == 1 and "nope" in result.output
    result = CliRunner().invoke(app, ["--config", str(cli_config), "drafts", "--status", "sent"])
    assert result.exit_code == 1 and "sent" in result.output
