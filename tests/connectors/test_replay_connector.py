"""The replay connector: every kind of bad line is quarantined with its line number."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors import replay
from connectors.base import ConnectorError
from connectors.replay import ReplayConnector, parse_line
from socialbot.domain import MAX_TEXT_CHARS, Post, Rejected
from tests.conftest import post_line, write_jsonl

BAD_LINES = [
    (b'{"platform": "twitter", "id": "1", "text": "hi"', "malformed JSON"),
    (b'["platform", "twitter"]', "expected a JSON object"),
    (
        post_line(1).replace('"text": "post number 1 about acme", ', "").encode(),
        "missing required field(s): text",
    ),
    (post_line(1, created_at=None).encode(), "missing required field(s): created_at"),
    (post_line(1, created_at="yesterday at noon").encode(), "bad timestamp in created_at"),
    (post_line(1, created_at="2026-13-01T00:00:00Z").encode(), "bad timestamp in created_at"),
    (post_line(1, text="cafe").encode().replace(b"cafe", b"caf\xe9"), "invalid UTF-8"),
    (post_line(1, text="x" * (MAX_TEXT_CHARS + 1)).encode(), "text too long"),
    (post_line(1, platform="myspace").encode(), "unknown platform"),
    (post_line(1, id=True).encode(), "id must be a string"),
    (post_line(1, author=["a"]).encode(), "author must be a string or null"),
    (post_line(1, created_at="0001-01-01T00:00:00+05:00").encode(), "is out of range"),
    (post_line(1, created_at="9999-12-31T23:00:00-05:00").encode(), "is out of range"),
]


@pytest.mark.parametrize(("raw", "reason"), BAD_LINES)
def test_each_kind_of_bad_line_is_rejected_with_a_reason(raw: bytes, reason: str) -> None:
    item = parse_line(raw, source="s", line_no=7)
    assert isinstance(item, Rejected)
    assert reason in item.reason
    assert item.position == "line 7"
    assert item.raw  # the record is kept so nothing is lost


def test_timestamps_without_offset_are_utc_and_offsets_are_converted() -> None:
    naive = parse_line(
        post_line(1, created_at="2026-11-01T12:00:00").encode(), source="s", line_no=1
    )
    offset = parse_line(
        post_line(1, created_at="2026-11-01T14:00:00+02:00").encode(), source="s", line_no=1
    )
    assert isinstance(naive, Post) and isinstance(offset, Post)
    assert naive.created_at == offset.created_at == datetime(2026, 11, 1, 12, tzinfo=UTC)


def test_numeric_ids_become_strings() -> None:
    item = parse_line(post_line(1, id=1850000000000000001).encode(), source="s", line_no=1)
    assert isinstance(item, Post) and item.id == "1850000000000000001"


def test_pages_resume_from_the_cursor(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [post_line(i) for i in range(25)])
    conn = ReplayConnector("s", {"path": str(path), "follow": False})
    seen: list[str] = []
    cursor = None
    while True:
        page = conn.fetch(cursor, limit=10)
        seen += [p.id for p in page.posts]
        cursor = page.cursor
        if page.exhausted:
            break
    assert seen == [str(1850000000000000000 + i) for i in range(25)]


def test_follow_mode_waits_for_an_unfinished_last_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(post_line(0) + "\n" + post_line(1)[:20])
    conn = ReplayConnector("s", {"path": str(path)})
    page = conn.fetch(None, limit=100)
    assert [p.id for p in page.posts] == ["1850000000000000000"] and not page.rejected
    path.write_text(post_line(0) + "\n" + post_line(1) + "\n")  # the writer finished the line
    page = conn.fetch(page.cursor, limit=100)
    assert [p.id for p in page.posts] == ["1850000000000000001"]


def test_a_byte_order_mark_is_not_part_of_the_line() -> None:
    item = parse_line(b"\xef\xbb\xbf" + post_line(1).encode(), source="s", line_no=4)
    assert isinstance(item, Post) and item.text == "post number 1 about acme"


@pytest.fixture
def small_lines(monkeypatch: pytest.MonkeyPatch) -> int:
    """Lines longer than 300 bytes are oversized; the skip reads 7 bytes at a time."""
    monkeypatch.setattr(replay, "MAX_LINE_BYTES", 300)
    monkeypatch.setattr(replay, "RAW_PREFIX_BYTES", 40)
    monkeypatch.setattr(replay, "_SKIP_CHUNK", 7)
    return 300


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_an_oversized_line_is_skipped_and_its_length_reported(
    tmp_path: Path, small_lines: int, newline: bytes
) -> None:
    long = post_line(1, text="y" * 500).encode()
    path = tmp_path / "p.jsonl"
    path.write_bytes(newline.join([post_line(0).encode(), long, post_line(2).encode(), b""]))
    page = ReplayConnector("s", {"path": str(path)}).fetch(None, limit=100)
    assert [p.id for p in page.posts] == ["1850000000000000000", "1850000000000000002"]
    [bad] = page.rejected
    assert bad.position == "line 2"
    assert f"line too long: {len(long)} bytes (limit {small_lines})" in bad.reason
    assert bad.raw == long[:40].decode()
    assert page.cursor == f"{path.stat().st_size}:3"


def test_follow_mode_waits_for_an_unfinished_oversized_line(
    tmp_path: Path, small_lines: int
) -> None:
    long = post_line(1, text="y" * 500)
    path = tmp_path / "p.jsonl"
    path.write_text(post_line(0) + "\n" + long[:400])
    conn = ReplayConnector("s", {"path": str(path)})
    page = conn.fetch(None, limit=100)
    assert len(page.posts) == 1 and not page.rejected
    path.write_text(post_line(0) + "\n" + long + "\n" + post_line(2) + "\n")
    page = conn.fetch(page.cursor, limit=100)
    assert [p.id for p in page.posts] == ["1850000000000000002"]
    assert [r.position for r in page.rejected] == ["line 2"]


def test_stdin_resumes_past_an_oversized_line(small_lines: int) -> None:
    lines = [post_line(0), post_line(1, text="y" * 500), post_line(2), post_line(3)]
    stream = io.BytesIO(("\n".join(lines) + "\n").encode())
    first = ReplayConnector("s", {"path": "-", "follow": False}, stdin=stream).fetch(None, limit=2)
    assert first.cursor is not None and first.cursor.endswith(":2")
    stream.seek(0)  # a new process reading the same stream skips what the cursor covers
    again = ReplayConnector("s", {"path": "-", "follow": False}, stdin=stream)
    rest = again.fetch(first.cursor, limit=10)
    assert [p.id for p in rest.posts] == ["1850000000000000002", "1850000000000000003"]


def test_stdin_is_read_as_a_stream() -> None:
    stream = io.BytesIO(("\n".join(post_line(i) for i in range(5)) + "\n").encode())
    conn = ReplayConnector("s", {"path": "-", "follow": False}, stdin=stream)
    first = conn.fetch(None, limit=3)
    rest = conn.fetch(first.cursor, limit=3)
    assert len(first.posts) == 3 and len(rest.posts) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [({}, "`path`"), ({"path": "x", "speed": 2}, r"unknown option\(s\) speed")],
)
def test_bad_options_are_named(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConnectorError, match=message):
        ReplayConnector("s", options)


_text = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=200)


@given(
    text=_text,
    author=st.none() | st.text(max_size=30),
    when=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(UTC),
    ),
)
def test_any_valid_post_round_trips(text: str, author: str | None, when: datetime) -> None:
    line = post_line(3, text=text, author=author, created_at=when.isoformat())
    item = parse_line(line.encode("utf-8"), source="s", line_no=1)
    assert isinstance(item, Post)
    assert (item.text, item.author, item.created_at) == (text, author, when)
