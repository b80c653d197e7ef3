"""`socialbot replay`: bad lines are quarantined by line, re-reading stores nothing twice."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from socialbot.cli import app
from socialbot.config import Config
from socialbot.replay import replay_file
from socialbot.store import Store
from socialbot.store.ingest import POSTS, QUARANTINE
from tests.conftest import post_line, write_jsonl

BAD = {
    50: '{"platform": "twitter", "id": "x", ',
    150: "not json at all",
    250: post_line(250, created_at="last tuesday"),
    350: post_line(350).replace('"text": "post number 350 about acme", ', ""),
    450: post_line(450, text="cafe").encode().replace(b"cafe", b"caf\xe9"),
    550: "[1, 2, 3]",
    650: post_line(650, platform="friendster"),
    750: post_line(750, created_at=12345),
    850: '{"platform": "reddit"}',
    950: post_line(950, text=None),
}


def _archive(tmp_path: Path) -> Path:
    lines: list[str | bytes] = [BAD.get(i) or post_line(i) for i in range(1, 1001)]
    return write_jsonl(tmp_path / "archive.jsonl", lines)


def _counts(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        posts = conn.execute(select(func.count()).select_from(POSTS)).scalar_one()
        bad = conn.execute(select(func.count()).select_from(QUARANTINE)).scalar_one()
    return int(posts), int(bad)


def test_ten_bad_lines_in_a_thousand(tmp_path: Path, config: Config, store: Store) -> None:
    path = _archive(tmp_path)
    first = replay_file(config, store, str(path))
    assert (first.new_posts, first.quarantined) == (990, 10)
    assert _counts(store) == (990, 10)
    with store.engine.connect() as conn:
        positions = {r.position: r.reason for r in conn.execute(select(QUARANTINE))}
    assert set(positions) == {f"line {n}" for n in BAD}
    assert "malformed JSON" in positions["line 50"]
    assert "bad timestamp" in positions["line 250"]
    assert "missing required field(s): text" in positions["line 350"]
    assert "invalid UTF-8" in positions["line 450"]

    again = replay_file(config, store, str(path), from_start=True)
    assert (again.new_posts, again.duplicates) == (0, 990)
    assert _counts(store) == (990, 10)


def test_cli_replay_twice_still_990(tmp_path: Path, config: Config, store: Store) -> None:
    path = _archive(tmp_path)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        "[classifier]\nenabled = false\n"
        f'[database]\nurl = "sqlite:///{tmp_path / "socialbot.db"}"\n'
    )
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(
            app, ["--config", str(cfg), "replay", str(path), "--from-start", "--json"]
        )
        assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["lines_read"] == 1000 and summary["duplicates"] == 990
    assert _counts(store) == (990, 10)


def test_an_interrupted_replay_resumes_where_it_stopped(
    tmp_path: Path, config: Config, store: Store
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [post_line(i) for i in range(1200)])
    import threading

    stop = threading.Event()
    pages = 0

    def stop_after_two_pages(_summary: object) -> None:
        nonlocal pages
        pages += 1
        if pages == 2:
            stop.set()

    first = replay_file(config, store, str(path), stop=stop, on_page=stop_after_two_pages)
    assert first.new_posts == 2 * config.daemon.page_size
    rest = replay_file(config, store, str(path))
    assert (rest.lines_read, rest.duplicates) == (1200 - 2 * config.daemon.page_size, 0)
    assert _counts(store) == (1200, 0)
