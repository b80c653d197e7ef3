"""The replay connector: every kind of bad line is quarantined with its line number."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
