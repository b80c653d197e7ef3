"""A local HTTP server the real tweepy/praw code talks to, a fake clock, and fake APIs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import Connector
from socialbot.domain import Post


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to cause client timeouts)


App = Callable[[Request], Response]


class LocalServer:
    """ThreadingHTTPServer on 127.0.0.1 that hands each request to `app`."""

    def __init__(self) -> None:
        self.app: App = lambda request: Response(404, {"error": "no app"})
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else delayed ACKs add 40 ms per request

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command, parts.path,
                    {k: v[-1] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                response = server.app(request)
                if response.delay:
                    time.sleep(response.delay)
                body = response.body
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(response.status)
                    headers = {"Content-Type": "application/json", **response.headers}
                    if self.close_connection:
                        # As a real server does: a client that asked to close (prawcore
                        # does for token requests) must not pool the connection, or its
                        # next request may go out on a socket this server just closed.
                        headers.setdefault("Connection", "close")
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up, as the test wanted

            do_GET = do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    s = LocalServer()
    yield s
    s.close()


class FakeClock:
    """Injectable `clock`/`sleep`: sleeping advances time instantly and is recorded."""

    def __init__(self, now: float = 1_795_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class NoSleepTime:
    """prawcore's view of `time`: its own retry and pacing sleeps cost nothing in tests."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def prawcore_sleeps(monkeypatch: pytest.MonkeyPatch) -> NoSleepTime:
    """prawcore sleeps through `time.sleep` with no hook to inject one; patch its module."""
    import prawcore.rate_limit
    import prawcore.sessions

    fake = NoSleepTime()
    monkeypatch.setattr(prawcore.sessions, "time", fake)
    monkeypatch.setattr(prawcore.rate_limit, "time", fake)
    return fake


def drain(
    source: Connector, cursor: str | None = None, limit: int = 100
) -> tuple[list[Post], str | None]:
    """Fetch pages until caught up, like the ingest stage; return posts and the last cursor."""
    posts: list[Post] = []
    for _ in range(1000):
        page = source.fetch(cursor, limit=limit)
        posts += page.posts
        cursor = page.cursor
        if page.exhausted:
            return posts, cursor
    raise AssertionError("never caught up")
