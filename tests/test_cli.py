"""The CLI: every command has help; configuration mistakes exit 2 with one message."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from socialbot.cli import app


def _walk(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    if hasattr(command, "commands"):  # a group (typer ships its own click)
        for name, sub in command.commands.items():
            found += _walk(sub, (*path, name))
    return found


ALL_COMMANDS = _walk(typer.main.get_command(app))


def test_the_cli_has_the_spine_commands() -> None:
    names = {" ".join(p) for p, _ in ALL_COMMANDS}
    assert {"run", "replay", "status", "db upgrade", "quarantine"} <= names


@pytest.mark.parametrize(
    ("path", "command"), ALL_COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help(path: tuple[str, ...], command: Any) -> None:
    assert (command.help or "").strip(), f"`socialbot {' '.join(path)}` has no help text"
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


@pytest.mark.parametrize(
    ("path", "command"), ALL_COMMANDS[1:], ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_the_command_list_shows_each_summary_on_one_line(path: tuple[str, ...],
                                                         command: Any) -> None:
    # A group's --help lists its commands with the first paragraph of each help text, line
    # breaks kept: a summary wrapped in the source breaks mid-sentence in the listing.
    summary = inspect.cleandoc(command.help or "").split("\n\n")[0]
    assert "\n" not in summary, (
        f"`socialbot {' '.join(path[:-1])} --help` breaks {path[-1]}'s summary mid-sentence: "
        "make its first paragraph one line"
    )


#: "[classifier]" unescaped in a help text: rich takes it for a markup tag and drops it
_MARKUP_LOOKALIKE = re.compile(r"(?<!\\)\[[a-z_.]+\](?!\()")


@pytest.mark.parametrize(
    ("path", "command"), ALL_COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_help_texts_keep_the_config_tables_they_name(path: tuple[str, ...],
                                                     command: Any) -> None:
    texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
    eaten = [m.group() for text in texts for m in _MARKUP_LOOKALIKE.finditer(text)]
    assert not eaten, f"`socialbot {' '.join(path)} --help` would drop {eaten}: escape it as \\\\["


@pytest.mark.parametrize(
    "command", [["run", "--once"], ["status"], ["db", "upgrade"], ["replay", "-"]]
)
def test_bad_config_exits_2_naming_the_key(tmp_path: Path, command: list[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[daemon]\npage_size = -1\n")
    result = CliRunner().invoke(app, ["--config", str(cfg), *command])
    assert result.exit_code == 2
    assert "daemon.page_size" in result.output
    assert "Traceback" not in result.output


def test_unknown_source_option_stops_start_up(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[[source]]\nname = "s"\nkind = "replay"\npath = "x.jsonl"\nspeed = 3\n')
    result = CliRunner().invoke(app, ["--config", str(cfg), "run", "--once"])
    assert result.exit_code == 2
    assert "speed" in result.output


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n')
    first = CliRunner().invoke(app, ["--config", str(cfg), "db", "upgrade"])
    again = CliRunner().invoke(app, ["--config", str(cfg), "db", "upgrade"])
    assert first.exit_code == again.exit_code == 0
    assert "upgraded to" in first.output and "already at" in again.output


def test_status_and_quarantine_show_every_job_and_text_as_written(tmp_path: Path) -> None:
    """Post text and names are data: '[/oops]' or 'ingest:x:' must print as written."""
    good = tmp_path / "a.jsonl"
    good.write_text(
        '{"platform": "twitter", "id": "1", "text": "hi", "created_at": "2026-11-01"}\n'
    )
    bad = tmp_path / "b.jsonl"
    bad.write_text("[/oops] not json\n")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[classifier]\nenabled = false\n[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n'
        f'[[source]]\nname = "x"\nkind = "replay"\npath = "{good}"\n'
        f'[[source]]\nname = "b"\nkind = "replay"\npath = "{bad}"\n'
    )
    runner = CliRunner()
    run = runner.invoke(app, ["--config", str(cfg), "run", "--once"])
    assert run.exit_code == 0, run.output
    assert "ingest:x: 1 handled" in run.stdout
    status = runner.invoke(app, ["--config", str(cfg), "status"], terminal_width=200)
    assert status.exit_code == 0, status.output
    assert "ingest:x" in status.stdout and "ingest:b" in status.stdout  # every job, not the last
    quarantine = runner.invoke(app, ["--config", str(cfg), "quarantine"], terminal_width=200)
    assert quarantine.exit_code == 0, quarantine.output
    assert "[/oops] not json" in quarantine.stdout
