"""The daemon: drains with --once, stops cleanly on SIGTERM, resumes after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialbot.cli import app
from tests.conftest import post_line, write_jsonl

REPO = Path(__file__).resolve().parents[1]


def _config(tmp_path: Path, stream: Path, *, page_size: int = 500, follow: bool = False) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f"""
[database]
url = "sqlite:///{tmp_path / "socialbot.db"}"
[classifier]
enabled = false
[daemon]
page_size = {page_size}
default_interval = "1s"
[[watch]]
name = "acme"
[[source]]
name = "archive"
kind = "replay"
watch = "acme"
path = "{stream}"
follow = {str(follow).lower()}
"""
    )
    return cfg


def _counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        bad = conn.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    return posts, bad


def _daemon(cfg: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (cfg.parent / "daemon.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "socialbot", "--config", str(cfg), "run", *args],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)  # polling another process; nothing is retried here
    raise AssertionError("condition not met in time")


def _stored(db: Path) -> int:
    try:
        return _counts(db)[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def test_run_once_drains_every_source_then_exits(tmp_path: Path) -> None:
    stream = write_jsonl(tmp_path / "s.jsonl", [post_line(i) for i in range(1234)] + ["{oops"])
    cfg = _config(tmp_path, stream, page_size=100)
    result = CliRunner().invoke(app, ["--config", str(cfg), "run", "--once"])
    assert result.exit_code == 0, result.output
    assert _counts(tmp_path / "socialbot.db") == (1234, 1)
    status = CliRunner().invoke(app, ["--config", str(cfg), "status", "--json"])
    snapshot = json.loads(status.output)
    assert snapshot["posts"]["total"] == 1234
    assert snapshot["sources"][0]["state"] == "exhausted"
    assert snapshot["jobs"][0]["job"] == "ingest:archive"


def test_sigterm_finishes_the_batch_and_exits_zero(tmp_path: Path) -> None:
    stream = write_jsonl(tmp_path / "s.jsonl", [post_line(i) for i in range(300)])
    cfg = _config(tmp_path, stream, follow=True)
    proc = _daemon(cfg)
    try:
        _wait_for(lambda: _stored(tmp_path / "socialbot.db") == 300)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
    log = (tmp_path / "daemon.log").read_text()
    assert "Traceback" not in log
    assert "received SIGTERM" in log


@pytest.mark.timeout(300)
def test_killed_daemon_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    total = 60_000
    lines: list[str | bytes] = [post_line(i) for i in range(total)]
    for n in range(7, total, 6000):  # ten bad lines spread through the file
        lines[n] = "{not json"
    stream = write_jsonl(tmp_path / "s.jsonl", lines)
    cfg = _config(tmp_path, stream, page_size=25)
    db = tmp_path / "socialbot.db"

    proc = _daemon(cfg, "--once")
    try:
        _wait_for(lambda: _stored(db) >= 2_000)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    stored_at_kill = _counts(db)[0]
    assert 0 < stored_at_kill < total - 10, (
        "the kill must land mid-run for this test to mean anything"
    )

    restarted = _daemon(cfg, "--once")
    assert restarted.wait(timeout=240) == 0
    assert _counts(db) == (total - 10, 10)
    with sqlite3.connect(db) as conn:
        stored, rejected, cursor = conn.execute(
            "SELECT posts_stored, rejected, cursor FROM sources WHERE name = 'archive'"
        ).fetchone()
    assert (stored, rejected) == (total - 10, 10)  # counters moved with the rows, never twice
    assert int(cursor.split(":")[0]) == stream.stat().st_size
