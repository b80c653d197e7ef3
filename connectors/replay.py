"""Replay connector: posts from a JSONL file (or stdin) in DESIGN.md's post format.

Each line is one JSON object with `platform`, `id`, `text` and `created_at`
(ISO 8601, UTC when no offset) and optional `author`, `in_reply_to`,
`conversation_id`, `url`, `lang`. A line that cannot be used becomes a
`Rejected` record naming its line number; the rest flows on. A UTF-8 byte-order
mark at the start of a line is ignored. Lines are read with a bounded buffer: a
line longer than `MAX_LINE_BYTES` is skipped, never held in memory whole, and
quarantined with its length and its first `RAW_PREFIX_BYTES` bytes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from connectors.base import Connector, ConnectorError
from socialbot.domain import MAX_TEXT_CHARS, PLATFORMS, Page, Post, Rejected, utc

REQUIRED = ("platform", "id", "text", "created_at")
OPTIONAL = ("author", "in_reply_to", "conversation_id", "url", "lang")
BUILTIN_PREFIX = "builtin:"
STDIN = "-"
BOM = b"\xef\xbb\xbf"
#: longest line kept: a 40,000-character text all in \uXXXX escapes is 240 kB
MAX_LINE_BYTES = 1 << 20
#: how much of an oversized line the quarantine keeps, to show what it was
RAW_PREFIX_BYTES = 4096
_SKIP_CHUNK = 1 << 16


def builtin_stream(name: str) -> Path:
    """Path of a stream shipped with the package, e.g. `builtin:demo_stream`."""
    path = Path(str(resources.files("socialbot") / "data" / f"{name}.jsonl"))
    if not path.is_file():
        raise ConnectorError(f"no built-in stream called {name!r}")
    return path


def resolve_stream_path(value: str) -> Path | None:
    """None for stdin (`-`), the packaged file for `builtin:NAME`, else the path."""
    if value == STDIN:
        return None
    if value.startswith(BUILTIN_PREFIX):
        return builtin_stream(value.removeprefix(BUILTIN_PREFIX))
    return Path(value).expanduser()


def parse_line(raw: bytes, *, source: str, line_no: int) -> Post | Rejected:
    """Turn one JSONL line into a Post, or a Rejected saying exactly what is wrong."""
    position = f"line {line_no}"
    raw = raw.removeprefix(BOM)
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = raw.decode("utf-8", "backslashreplace")
        return Rejected(source, position, f"invalid UTF-8 at byte {exc.start}", shown)

    def reject(reason: str) -> Rejected:
        return Rejected(source, position, reason, line)

    try:
        obj = orjson.loads(raw)  # orjson: parsing was most of replay's time
    except orjson.JSONDecodeError as exc:
        return reject(f"malformed JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        return reject(f"expected a JSON object, got {type(obj).__name__}")
    if not _well_formed(obj):  # the common case skips the field-by-field diagnosis
        missing = [f for f in REQUIRED if obj.get(f) in (None, "")]
        if missing:
            return reject(f"missing required field(s): {', '.join(missing)}")
        problem = _field_problem(obj)
        if problem:
            return reject(problem)
    try:
        created = utc(datetime.fromisoformat(obj["created_at"]))
    except (TypeError, ValueError):
        return reject(f"bad timestamp in created_at: {obj['created_at']!r} is not ISO 8601")
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UTC
        return reject(f"bad timestamp in created_at: {obj['created_at']!r} is out of range")
    return Post(
        platform=obj["platform"],
        id=str(obj["id"]),
        text=obj["text"],
        created_at=created,
        **{f: obj.get(f) for f in OPTIONAL},
    )


_PLATFORM_SET = frozenset(PLATFORMS)


def _well_formed(obj: dict[str, Any]) -> bool:
    """True when every field has the right type and size (checked in one pass)."""
    pid = obj.get("id")
    text = obj.get("text")
    if not (
        obj.get("platform") in _PLATFORM_SET
        and type(pid) is str
        and 0 < len(pid) <= 64
        and type(text) is str
        and 0 < len(text) <= MAX_TEXT_CHARS
        and type(obj.get("created_at")) is str
    ):
        return False
    for field in OPTIONAL:
        value = obj.get(field)
        if value is not None and type(value) is not str:
            return False
    return True


def _field_problem(obj: dict[str, Any]) -> str | None:
    if obj["platform"] not in PLATFORMS:
        return f"unknown platform {obj['platform']!r} (expected one of: {', '.join(PLATFORMS)})"
    if isinstance(obj["id"], bool) or not isinstance(obj["id"], str | int):
        return f"id must be a string, got {type(obj['id']).__name__}"
    if len(str(obj["id"])) > 64:
        return "id is longer than 64 characters"
    if not isinstance(obj["text"], str):
        return f"text must be a string, got {type(obj['text']).__name__}"
    if len(obj["text"]) > MAX_TEXT_CHARS:
        return f"text too long: {len(obj['text'])} characters (limit {MAX_TEXT_CHARS})"
    for field in ("created_at", *OPTIONAL):
        value = obj.get(field)
        if value is not None and not isinstance(value, str):
            return f"{field} must be a string or null, got {type(value).__name__}"
    return None


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """Options a `kind = "replay"` source accepts in config.toml."""

    path: str
    #: keep polling for lines appended later (daemon); hold back an unfinished last line
    follow: bool = True

    @classmethod
    def from_options(cls, name: str, options: dict[str, Any]) -> ReplayOptions:
        unknown = sorted(set(options) - {"path", "follow"})
        if unknown:
            raise ConnectorError(f"source {name!r}: unknown option(s) {', '.join(unknown)}")
        if not isinstance(options.get("path"), str):
            raise ConnectorError(
                f"source {name!r}: `path` (a JSONL file, '-' or 'builtin:NAME') is required"
            )
        return cls(path=options["path"], follow=bool(options.get("follow", True)))


class ReplayConnector(Connector):
    """Reads a JSONL file from a `offset:line` cursor, so restarts resume exactly."""

    kind = "replay"
    live = False
    display_name = "replay file"

    def __init__(
        self, name: str, options: dict[str, Any], *, stdin: BinaryIO | None = None
    ) -> None:
        super().__init__(name, options)
        self.settings = ReplayOptions.from_options(name, options)
        self.path = resolve_stream_path(self.settings.path)
        self._stdin = stdin
        self._stdin_line = 0

    def fetch(self, cursor: str | None, *, limit: int) -> Page:
        if self.path is None:
            return self._fetch_stream(cursor, limit=limit)
        offset, line_no = _parse_cursor(cursor)
        try:
            with self.path.open("rb") as fh:
                fh.seek(offset)
                return self._read(fh, offset, line_no, limit, follow=self.settings.follow)
        except FileNotFoundError:
            raise ConnectorError(f"source {self.name!r}: file not found: {self.path}") from None

    def _fetch_stream(self, cursor: str | None, *, limit: int) -> Page:
        # stdin cannot seek: skip the lines a previous page already covered.
        stream = self._stdin or sys.stdin.buffer
        _, wanted = _parse_cursor(cursor)
        while self._stdin_line < wanted and _skip_line(stream, b"")[0]:
            self._stdin_line += 1
        page = self._read(stream, 0, self._stdin_line, limit, follow=False)
        self._stdin_line = _parse_cursor(page.cursor)[1]
        return page

    def _read(self, fh: BinaryIO, offset: int, line_no: int, limit: int, *, follow: bool) -> Page:
        posts: list[Post] = []
        rejected: list[Rejected] = []
        while len(posts) + len(rejected) < limit:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return Page(posts, rejected, _cursor(offset, line_no), exhausted=True)
            oversized = len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n")
            if oversized:
                size, ending = _skip_line(fh, raw)
                raw = raw[:RAW_PREFIX_BYTES]
            else:
                size, ending = len(raw), b"\n" if raw.endswith(b"\n") else b""
            if follow and not ending:
                # A writer may still be appending this line; read it next time.
                return Page(posts, rejected, _cursor(offset, line_no), exhausted=True)
            offset += size
            line_no += 1
            if oversized:
                length = size - len(ending)
                rejected.append(_oversized(raw, length, source=self.name, line_no=line_no))
                continue
            body = raw.rstrip(b"\r\n").removeprefix(BOM)
            if not body.strip():
                continue
            item = parse_line(body, source=self.name, line_no=line_no)
            (posts if isinstance(item, Post) else rejected).append(item)  # type: ignore[arg-type]
        return Page(posts, rejected, _cursor(offset, line_no), exhausted=False)


def _skip_line(fh: BinaryIO, start: bytes) -> tuple[int, bytes]:
    """Read past the rest of the line begun by `start`, a bounded chunk at a time.

    Returns the line's whole size in bytes and how it ended: b"\\n", b"\\r\\n", or
    b"" when the file ended first.
    """
    size, chunk, before = len(start), start, b""
    while not chunk.endswith(b"\n"):
        before = chunk[-1:] or before
        chunk = fh.readline(_SKIP_CHUNK)
        if not chunk:
            return size, b""
        size += len(chunk)
    return size, b"\r\n" if (chunk[-2:-1] or before) == b"\r" else b"\n"


def _oversized(prefix: bytes, size: int, *, source: str, line_no: int) -> Rejected:
    reason = (
        f"line too long: {size} bytes (limit {MAX_LINE_BYTES}); "
        f"only its first {len(prefix)} bytes are kept here"
    )
    shown = prefix.decode("utf-8", "backslashreplace")
    return Rejected(source, f"line {line_no}", reason, shown)


def _cursor(offset: int, line_no: int) -> str:
    return f"{offset}:{line_no}"


def _parse_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    offset, _, line = cursor.partition(":")
    return int(offset), int(line or 0)
