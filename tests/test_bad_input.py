"""Bad input never stops ingest: each record is quarantined with why and where, or stored.

Issue 11: NUL characters, impossible dates, a 100 MB line, a byte-order mark and a
`javascript:` url, each through the real connector, ingest stage and store.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from connectors.replay import RAW_PREFIX_BYTES, ReplayConnector
from connectors.twitter import TwitterConnector
from socialbot.cli import app
from socialbot.config import Config
from socialbot.report.html import build_report
from socialbot.stages.ingest import IngestStage
from socialbot.stages.trends import TrendsStage
from socialbot.store import Store
from socialbot.store.ingest import POSTS, QUARANTINE, SOURCES
from tests.conftest import post_line, write_jsonl
from tests.connectors.conftest import FakeClock, LocalServer
from tests.connectors.fake_x import ENV as X_ENV
from tests.connectors.fake_x import FakeX

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "socialbot" / "data" / "demo_stream.jsonl"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    s = LocalServer()
    yield s
    s.close()


def _stored_ids(store: Store) -> set[str]:
    with store.reading() as conn:
        return set(conn.execute(select(POSTS.c.post_id)).scalars())


def _quarantine(store: Store) -> list[Any]:
    with store.reading() as conn:
        cols = (QUARANTINE.c.source, QUARANTINE.c.position, QUARANTINE.c.reason, QUARANTINE.c.raw)
        return list(conn.execute(select(*cols).order_by(QUARANTINE.c.id)))


def _source(store: Store) -> Any:
    with store.reading() as conn:
        return conn.execute(select(SOURCES.c.state, SOURCES.c.cursor, SOURCES.c.detail)).one()


def _replay_stage(store: Store, path: Path) -> IngestStage:
    return IngestStage(
        store, ReplayConnector("file", {"path": str(path), "follow": False}), watch=None,
        page_size=100,
    )


# -- NUL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "char", "problem"),
    [
        ("text", "\x00", "text contains a NUL character"),
        ("author", "\x00", "author contains a NUL character"),
        ("lang", "\x00", "lang contains a NUL character"),
        # JSON may carry a lone surrogate (\ud83d); no UTF-8 database can store it
        ("text", "\ud83d", "text contains a lone surrogate"),
    ],
)
def test_a_nul_or_lone_surrogate_from_x_is_quarantined_and_the_source_moves_on(
    any_store: Store, server: LocalServer, field: str, char: str, problem: str
) -> None:
    clock = FakeClock()
    x = FakeX(clock.now)
    server.app = x
    good = [x.add() for _ in range(3)]
    bad = x.add(f"acme {char} broken" if field == "text" else "", author=(
        f"ev{char}il" if field == "author" else "jane_doe"))
    if field == "lang":
        x.tweets[int(bad)]["lang"] = f"e{char}n"
    source = TwitterConnector("x-acme", {"query": "acme"}, env=X_ENV, base_url=server.url,
                              sleep=clock.sleep, clock=clock.time)
    stage = IngestStage(any_store, source, watch=None, page_size=100)

    assert stage.run_batch() == 4
    assert _stored_ids(any_store) == set(good)
    [row] = _quarantine(any_store)
    assert row.position == f"twitter post {bad}"
    assert problem in row.reason
    assert char not in row.raw and f"\\u{ord(char):04x}" in row.raw
    state = _source(any_store)
    assert state.state != "backing_off" and state.detail is None
    # The cursor moved past the bad post: the next poll brings only what is new.
    later = x.add()
    stage.run_batch()
    assert _stored_ids(any_store) == {*good, later}
    assert len(_quarantine(any_store)) == 1


@pytest.mark.parametrize(
    "field", ["id", "text", "author", "in_reply_to", "conversation_id", "url", "lang"]
)
def test_a_nul_in_any_field_of_a_replayed_line_is_quarantined(
    any_store: Store, tmp_path: Path, field: str
) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [
        post_line(1), post_line(2, **{field: "a\x00b"}), post_line(3),
    ])
    stage = _replay_stage(any_store, path)
    assert stage.run_batch() == 3
    assert _stored_ids(any_store) == {json.loads(post_line(i))["id"] for i in (1, 3)}
    [row] = _quarantine(any_store)
    assert f"{field} contains a NUL character" in row.reason
    assert "\x00" not in row.raw + row.position
    assert _source(any_store).cursor == f"{path.stat().st_size}:3"


# -- dates --------------------------------------------------------------------------

BAD_DATES = {
    "0001-01-01T00:00:00Z": "created_at 0001-01-01T00:00:00+00:00 is outside",
    "2100-06-01T12:00:00Z": "created_at 2100-06-01T12:00:00+00:00 is outside",
    "9999-12-31T23:59:59Z": "created_at 9999-12-31T23:59:59+00:00 is outside",
    "0001-01-01T03:00:00+05:00": "is out of range",  # before year 1 once in UTC
}


def test_dates_outside_the_range_are_quarantined_and_monitoring_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socialbot.stages as stages

    demo = DEMO.read_bytes().splitlines()
    bad = [post_line(9000 + i, created_at=when).encode() for i, when in enumerate(BAD_DATES)]
    # A bad date early, in the middle and at the very end of a replayed week.
    lines: list[str | bytes] = [
        *demo[:5], bad[0], *demo[5:800], bad[1], bad[3], *demo[800:], bad[2]
    ]
    stream = write_jsonl(tmp_path / "week.jsonl", lines)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        (REPO / "config.toml")
        .read_text()
        .replace('url = "sqlite:///var/socialbot.db"', f'url = "sqlite:///{tmp_path / "db"}"')
    )
    truth = "tests.monitoring.demo_truth:build_truth_stages"
    builders = [b for b in stages.STAGE_BUILDERS if not b.split(".")[-1].startswith(
        ("classify:", "draft:", "post:"))]
    monkeypatch.setattr(stages, "STAGE_BUILDERS", (builders[0], truth, *builders[1:]))

    def run(*args: str) -> str:
        result = CliRunner().invoke(app, ["--config", str(cfg), *args])
        assert result.exit_code == 0, result.output
        return result.output

    started = time.monotonic()
    run("replay", str(stream))  # runs ingest, trends and alerts page by page
    assert time.monotonic() - started < 300  # a year-2100 post made this take over an hour

    from socialbot.config import load_config
    from socialbot.store import open_store

    store = open_store(load_config(cfg))
    try:
        rows = _quarantine(store)
        assert len(_stored_ids(store)) == len(demo)
    finally:
        store.dispose()
    assert len(rows) == len(BAD_DATES)
    for i, expected in enumerate(BAD_DATES.values()):
        [row] = [r for r in rows if json.loads(post_line(9000 + i))["id"] in r.raw]
        assert expected in row.reason
        if "outside" in expected:  # the range is named too
            assert "2006-03-21T00:00:00+00:00 to 20" in row.reason
    trends = json.loads(run("trends", "--json", "--since", "30d"))
    assert "0001-" not in json.dumps(trends) and "9999-" not in json.dumps(trends)
    run("alerts")
    out = tmp_path / "report.html"
    run("report", "--since", "7d", "--out", str(out))
    page = out.read_text()
    assert "2026-11-02 00:00 to 2026-11-09 00:00 UTC" in page


@pytest.mark.parametrize("path", ["daemon", "replay"])
def test_the_configured_date_range_is_what_ingest_applies(tmp_path: Path, path: str) -> None:
    from socialbot.replay import replay_file
    from socialbot.stages.base import StageContext
    from socialbot.stages.ingest import build_ingest_stages
    from socialbot.store import open_store
    from tests.conftest import make_config

    lines = DEMO.read_bytes().splitlines()[::4]
    early = sum(1 for line in lines if json.loads(line)["created_at"] < "2026-11-05")
    assert 0 < early < len(lines)
    stream = write_jsonl(tmp_path / "part.jsonl", list(lines))
    config = make_config(tmp_path, ingest={"earliest_post": "2026-11-05"}, source=[
        {"name": "file", "kind": "replay", "path": str(stream), "follow": False}])
    store = open_store(config)
    try:
        if path == "daemon":
            [stage] = build_ingest_stages(StageContext(config=config, store=store))
            while stage.run_batch():
                pass
            stage.close()
        else:
            replay_file(config, store, str(stream), downstream=False)
        rows = _quarantine(store)
        assert len(_stored_ids(store)) == len(lines) - early
    finally:
        store.dispose()
    assert len(rows) == early
    assert all("2026-11-05T00:00:00+00:00 to" in r.reason for r in rows)


# -- one huge line ------------------------------------------------------------------

HUGE = 100 * 2**20


def test_a_100_mb_line_is_quarantined_without_holding_it_in_memory(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "huge.jsonl"
    head = b'{"platform": "twitter", "id": "1", "created_at": "2026-11-01T12:00:00Z", "text": "'
    with path.open("wb") as fh:
        fh.write(post_line(1).encode() + b"\n")
        fh.write(head)
        chunk = b"acme " * (2**20 // 5)
        written = len(head)
        while written + len(chunk) < HUGE - 2:
            fh.write(chunk)
            written += len(chunk)
        fh.write(b"a" * (HUGE - 2 - written) + b'"}\n')
        fh.write(post_line(3).encode() + b"\n")
    stage = _replay_stage(store, path)

    tracemalloc.start()
    try:
        handled = stage.run_batch()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert handled == 3
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.0f} MiB while reading a 100 MiB line"
    assert _stored_ids(store) == {json.loads(post_line(i))["id"] for i in (1, 3)}
    [row] = _quarantine(store)
    assert row.position == "line 2"
    assert f"line too long: {HUGE} bytes" in row.reason
    assert row.raw.startswith(head.decode()) and len(row.raw) <= RAW_PREFIX_BYTES
    assert _source(store).cursor == f"{path.stat().st_size}:3"


# -- byte-order mark ----------------------------------------------------------------


def test_lines_starting_with_a_byte_order_mark_are_stored(store: Store, tmp_path: Path) -> None:
    bom = "\ufeff".encode()
    path = write_jsonl(tmp_path / "bom.jsonl", [
        bom + post_line(1).encode(), post_line(2), bom + post_line(3).encode(), bom,
    ])
    assert _replay_stage(store, path).run_batch() == 3
    assert _stored_ids(store) == {json.loads(post_line(i))["id"] for i in (1, 2, 3)}
    assert _quarantine(store) == []


# -- report links -------------------------------------------------------------------


def test_the_report_links_only_web_urls(config: Config, store: Store) -> None:
    from tests.monitoring.conftest import add_post

    at = datetime.now(UTC) - timedelta(hours=1)
    urls = {  # the report shows a topic's three most negative posts: these three
        1: "https://x.com/u/status/1",
        2: "javascript:alert(document.cookie)",
        3: " JaVaScRiPt:alert(2)",
    }
    with store.transaction() as conn:
        for n, url in urls.items():
            pk = add_post(conn, n, at, sentiment="negative", watch="acme", text=f"complaint {n}")
            conn.execute(update(POSTS).where(POSTS.c.id == pk).values(url=url))
    stage = TrendsStage(store, bucket=config.trends.bucket)
    while stage.run_batch():
        pass
    with store.reading() as conn:
        page = build_report(conn, config, config.watch[0], since=86400, width=3600)
    assert all(f"complaint {n}" in page for n in urls)
    assert "<a href='https://x.com/u/status/1'>open</a>" in page
    assert page.lower().count("<a href=") == 1
    assert "not a web link: javascript:alert(document.cookie)" in page
