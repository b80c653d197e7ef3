"""Two ingest workers on one source, as two processes sharing one database: each page read once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console
from sqlalchemy import select

from connectors.twitter import TwitterConnector
from socialbot.cli.status_view import render_status
from socialbot.stages.ingest import SOURCE_LEASE, IngestStage, worker_name
from socialbot.status import gather_status
from socialbot.store import Store
from socialbot.store.engine import create_store_engine
from socialbot.store.ingest import POSTS, SOURCES, ensure_source
from tests.connectors.conftest import FakeClock, LocalServer, Request, Response
from tests.connectors.fake_x import ENV as X_ENV
from tests.connectors.fake_x import FakeX


class ManualClock:
    """A wall clock the test moves, shared by both workers like real time is."""

    def __init__(self) -> None:
        self.at = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def other_store(any_store: Store) -> Iterator[Store]:
    """A second Store with its own engine on the same database: the second process."""
    url = any_store.engine.url.render_as_string(hide_password=False)
    s = Store(create_store_engine(url))
    yield s
    s.dispose()


@pytest.fixture
def x(server: LocalServer, clock: FakeClock) -> FakeX:
    fake = FakeX(clock.now)
    server.app = fake
    return fake


def _worker(store: Store, server: LocalServer, clock: FakeClock, name: str,
            wall: ManualClock | None = None) -> IngestStage:
    source = TwitterConnector("x-acme", {"query": "acme"}, env=X_ENV, base_url=server.url,
                              sleep=clock.sleep, clock=clock.time)
    return IngestStage(store, source, watch=None, page_size=100, worker=name, wall_clock=wall)


def _searches(x: FakeX) -> list[Request]:
    return [r for r in x.requests if r.path == "/2/tweets/search/recent"]


def _stored(store: Store) -> list[str]:
    with store.reading() as conn:
        return list(conn.execute(select(POSTS.c.post_id)).scalars())


def _source(store: Store):
    with store.reading() as conn:
        return conn.execute(select(SOURCES)).one()


def test_a_worker_finds_the_source_held_and_fetches_nothing(
    any_store, other_store, server, clock, x
) -> None:
    ids = [x.add() for _ in range(150)]
    a = _worker(any_store, server, clock, "host-a:1")
    b = _worker(other_store, server, clock, "host-b:2")
    during: dict[str, object] = {}

    def app(request: Request) -> Response:
        if not during:  # A's first fetch is in flight: B's batch comes now
            during["status"] = gather_status(other_store)["sources"][0]
            before = len(x.requests)
            during["b_handled"] = b.run_batch()
            during["b_requests"] = len(x.requests) - before
        return x(request)

    server.app = app
    assert a.run_batch() == 100
    assert during["b_handled"] == 0 and during["b_requests"] == 0
    status = during["status"]
    assert isinstance(status, dict) and status["held_by"] == "host-a:1"
    assert not status["lease_lapsed"]
    assert b.run_batch() == 50  # free again: B carries on from A's cursor
    assert sorted(_stored(any_store)) == sorted(ids)
    assert len(x.served_ids) == len(set(x.served_ids)) == 150
    assert len(_searches(x)) == 2
    assert _source(any_store).held_by is None  # each write releases the lease


def test_two_workers_draining_at_once_read_each_page_once(
    any_store, other_store, server, clock, x
) -> None:
    ids = [x.add() for _ in range(1000)]
    server.app = lambda request: _slow(x(request))  # fetches overlap with the other's claims
    workers = [_worker(any_store, server, clock, "host-a:1"),
               _worker(other_store, server, clock, "host-b:2")]
    handled = {w.worker: 0 for w in workers}
    errors: list[BaseException] = []

    def drain(stage: IngestStage) -> None:
        try:
            deadline = time.monotonic() + 60
            while len(_stored(stage.store)) < len(ids) and time.monotonic() < deadline:
                n = stage.run_batch()
                handled[stage.worker] += n
                if n == 0:
                    time.sleep(0.005)
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = _stored(any_store)
    assert len(stored) == len(set(stored)) == 1000 and set(stored) == set(ids)
    # every tweet went out of the fake X once: no page was read (paid for) twice
    assert len(x.served_ids) == len(set(x.served_ids)) == 1000
    first_pass = [r for r in _searches(x) if "since_id" not in r.query]
    assert len(first_pass) == 10  # ten pages of 100, each asked for once
    assert sum(handled.values()) == 1000
    assert _source(any_store).posts_stored == 1000


def _slow(response: Response) -> Response:
    response.delay = 0.02
    return response


def test_a_dead_workers_lease_is_taken_over_once_it_lapses(
    any_store, other_store, server, clock, x
) -> None:
    ids = [x.add() for _ in range(30)]
    wall = ManualClock()
    dead = _worker(any_store, server, clock, "host-a:1", wall)
    assert dead._claim()[0]  # claimed, then the process died before fetching
    heir = _worker(other_store, server, clock, "host-b:2", wall)
    assert heir.run_batch() == 0 and _searches(x) == []  # the lease still runs
    status = gather_status(other_store)["sources"][0]
    assert status["held_by"] == "host-a:1"
    wall.at += SOURCE_LEASE
    assert heir.run_batch() == 30
    assert sorted(_stored(other_store)) == sorted(ids) and len(_searches(x)) == 1
    assert _source(other_store).held_by is None


def _hold(store: Store, holder: str) -> None:
    with store.transaction() as conn:
        ensure_source(conn, "x-acme", "twitter")
        conn.execute(SOURCES.update().values(
            held_by=holder, held_until=datetime.now(UTC) + SOURCE_LEASE))


def test_a_restart_on_the_same_machine_takes_over_from_its_killed_self(
    any_store, server, clock, x
) -> None:
    """`socialbot run` killed mid-fetch and started again does not wait out the lease."""
    [x.add() for _ in range(20)]
    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()
    host = socket.gethostname()
    _hold(any_store, f"{host}:{killed.pid}:0a1b2c")
    assert _worker(any_store, server, clock, worker_name()).run_batch() == 20
    # a live process on this machine, or any process on another, keeps its lease
    _hold(any_store, f"{host}:{os.getppid()}:0a1b2c")
    x.add()
    assert _worker(any_store, server, clock, worker_name()).run_batch() == 0
    _hold(any_store, f"elsewhere.example:{killed.pid}:0a1b2c")
    assert _worker(any_store, server, clock, worker_name()).run_batch() == 0
    assert len(_searches(x)) == 1


def test_a_worker_whose_lease_lapsed_mid_fetch_does_not_write(
    any_store, other_store, server, clock, x
) -> None:
    [x.add() for _ in range(150)]
    wall = ManualClock()
    slow = _worker(any_store, server, clock, "host-a:1", wall)
    heir = _worker(other_store, server, clock, "host-b:2", wall)
    took_over: list[int] = []
    stalled = threading.Event()

    def app(request: Request) -> Response:
        if not stalled.is_set():  # A stalls past its lease; B takes the source, stores page 1
            stalled.set()
            wall.at += SOURCE_LEASE + timedelta(seconds=1)
            took_over.append(heir.run_batch())
        return x(request)

    server.app = app
    assert slow.run_batch() == 0  # fetched, but the write was refused
    assert took_over == [100]
    row = _source(any_store)
    assert row.posts_stored == 100 and row.held_by is None
    server.app = x
    assert heir.run_batch() == 50  # B's cursor stood: it goes on to page 2, not page 1 again
    assert len(_stored(any_store)) == 150


def test_a_lapsed_lease_nobody_took_is_still_not_written(
    any_store, server, clock, x
) -> None:
    [x.add() for _ in range(10)]
    wall = ManualClock()
    stage = _worker(any_store, server, clock, "host-a:1", wall)

    def app(request: Request) -> Response:
        wall.at += SOURCE_LEASE
        return x(request)

    server.app = app
    assert stage.run_batch() == 0
    assert _stored(any_store) == [] and _source(any_store).cursor is None
    server.app = x
    assert stage.run_batch() == 10  # the next batch claims afresh and stores the page


def test_status_shows_who_holds_a_source(any_store, server, clock, x) -> None:
    _worker(any_store, server, clock, "host-a:1")._claim()
    console = Console(record=True, width=200)
    render_status(console, gather_status(any_store))
    assert "host-a:1" in console.export_text() and "lapsed" not in console.export_text()
    with any_store.transaction() as conn:  # the worker died long ago
        conn.execute(SOURCES.update().values(held_until=datetime(2020, 1, 1, tzinfo=UTC)))
    console = Console(record=True, width=200)
    render_status(console, gather_status(any_store))
    assert "host-a:1 (lapsed)" in console.export_text()
