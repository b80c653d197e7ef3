"""Replaying a JSONL archive through every stage, on the posts' own clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete

from connectors.replay import STDIN, ReplayConnector, resolve_stream_path
from socialbot.clock import StreamClock
from socialbot.config import Config
from socialbot.daemon import drain
from socialbot.errors import ConnectorError
from socialbot.stages import build_stages
from socialbot.stages.base import StageContext
from socialbot.stages.ingest import IngestStage
from socialbot.store import Store
from socialbot.store.ingest import SOURCES
from socialbot.store.jobs import job_finished, job_started


@dataclass
class ReplaySummary:
    """What one replay did, for the CLI summary and tests."""

    source: str
    lines_read: int = 0
    new_posts: int = 0
    duplicates: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    stages: dict[str, int] = field(default_factory=dict)

    @property
    def posts_per_second(self) -> float:
        return (self.new_posts + self.duplicates) / self.seconds if self.seconds else 0.0


def replay_source_name(path: str) -> str:
    """One cursor per file, so an interrupted replay resumes where it stopped."""
    return "replay:stdin" if path == STDIN else f"replay:{Path(path).resolve()}"


def _check_readable(path: str) -> None:
    """A replay reads one file once: a missing one is a mistake to report now, not a live
    source to retry (which would leave it `backing_off` in status for good)."""
    stream = resolve_stream_path(path)
    if stream is None:
        return
    if stream.is_dir():
        raise ConnectorError(f"{path}: is a folder; replay reads one JSONL file")
    if not stream.is_file():
        raise ConnectorError(f"{path}: no such file")


def replay_file(
    config: Config,
    store: Store,
    path: str,
    *,
    watch: str | None = None,
    from_start: bool = False,
    downstream: bool = True,
    exclude: Collection[str] = (),
    stdin: BinaryIO | None = None,
    stop: threading.Event | None = None,
    on_page: Callable[[ReplaySummary], None] | None = None,
) -> ReplaySummary:
    """Feed `path` (or `-` for stdin) through ingest and, page by page, every later stage.

    Later stages run after each page with the clock set to the newest post seen,
    so time-based stages see the archive's own timeline, the same way every time.
    `exclude` names later stages not to run (e.g. drafting, for a backtest).
    """
    _check_readable(path)
    stop = stop or threading.Event()
    name = replay_source_name(path)
    if watch is None and config.watch:
        watch = config.watch[0].name
    if from_start or path == STDIN:  # a new stdin is a new stream: its cursor means nothing
        with store.transaction() as conn:
            conn.execute(delete(SOURCES).where(SOURCES.c.name == name))
    clock = StreamClock()
    connector = ReplayConnector(name, {"path": path, "follow": False}, stdin=stdin)
    ingest = IngestStage(store, connector, watch=watch, page_size=config.daemon.page_size,
                         clock=clock, accept=config.ingest)
    ctx = StageContext(config=config, store=store, clock=clock, stop=stop)
    # no health stage: a replay is not a live feed, and its clock is the posts' own
    # privacy: retention and compliance are the daemon's, on the wall clock, not a replay's
    later = (build_stages(ctx, exclude={"ingest", "health", "privacy", *exclude})
             if downstream else [])
    summary = ReplaySummary(source=name, stages={s.name: 0 for s in later})
    # Job runs are recorded once per replay, not per page: status shows the
    # replay as one run of each stage, and the bookkeeping stays off the hot path.
    for stage in (ingest, *later):
        job_started(store, stage.name)
    counts = {stage.name: 0 for stage in (ingest, *later)}
    error: str | None = None
    started = time.perf_counter()
    try:
        while not stop.is_set():
            handled = drain(ingest, stop, max_batches=1)
            summary.lines_read += handled
            counts[ingest.name] += handled
            for stage in later:
                done = drain(stage, stop)
                summary.stages[stage.name] += done
                counts[stage.name] += done
            summary.new_posts = ingest.totals.new_posts
            summary.duplicates = ingest.totals.duplicates
            summary.quarantined = ingest.totals.quarantined
            summary.seconds = time.perf_counter() - started
            if on_page:
                on_page(summary)
            if handled == 0:
                break
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        for stage in (ingest, *later):
            job_finished(store, stage.name, processed=counts[stage.name], error=error)
            stage.close()
    summary.seconds = time.perf_counter() - started
    return summary
