"""Running the stages: as APScheduler jobs (`socialbot run`) or until drained (`--once`).

Stopping is cooperative: SIGINT/SIGTERM set an event, the batch in progress
finishes its transaction, and no new batch starts.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import FrameType

from socialbot.config import DaemonConfig
from socialbot.stages.base import Stage
from socialbot.store import Store
from socialbot.store.jobs import job_finished, job_started

logger = logging.getLogger(__name__)


def drain(stage: Stage, stop: threading.Event, *, max_batches: int | None = None) -> int:
    """Run batches of `stage` until its input is drained, a stop is asked, or the limit."""
    processed = 0
    batches = 0
    while not stop.is_set():
        handled = stage.run_batch()
        processed += handled
        batches += 1
        if handled == 0 or (max_batches is not None and batches >= max_batches):
            break
    return processed


def run_job(
    stage: Stage, store: Store, stop: threading.Event, *, max_batches: int | None = None
) -> int:
    """Run `stage` batch after batch until its input is drained or a stop is asked.

    Errors are logged and recorded against the job; they never propagate, so a
    failing stage cannot take the daemon (or the other stages) down.
    """
    processed = 0
    error: str | None = None
    job_started(store, stage.name)
    try:
        processed = drain(stage, stop, max_batches=max_batches)
    except Exception as exc:
        logger.exception("job %s failed", stage.name)
        error = f"{type(exc).__name__}: {exc}"
    job_finished(store, stage.name, processed=processed, error=error)
    return processed


def run_until_drained(
    stages: Sequence[Stage], store: Store, stop: threading.Event
) -> dict[str, int]:
    """Run every stage in flow order, over and over, until a whole pass does nothing."""
    totals = {s.name: 0 for s in stages}
    while not stop.is_set():
        progressed = 0
        for stage in stages:
            if stop.is_set():
                break
            handled = run_job(stage, store, stop)
            totals[stage.name] += handled
            progressed += handled
        if progressed == 0:
            break
    return totals


def run_scheduled(
    stages: Sequence[Stage],
    store: Store,
    settings: DaemonConfig,
    stop: threading.Event,
    *,
    intervals: dict[str, float] | None = None,
) -> None:
    """Schedule each stage as a job with its own interval and block until `stop`."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=settings.workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )
    now = datetime.now(UTC)
    for stage in stages:
        every = (intervals or {}).get(stage.name) or settings.interval(stage.kind)
        scheduler.add_job(
            run_job,
            "interval",
            seconds=every,
            args=(stage, store, stop),
            id=stage.name,
            name=stage.name,
            next_run_time=now,
        )
        logger.info("scheduled %s every %gs", stage.name, every)
    scheduler.start()
    try:
        stop.wait()
    finally:
        logger.info("stopping: letting running batches finish")
        scheduler.shutdown(wait=True)


def install_stop_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM ask for a clean stop; returns a function restoring the old handlers."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, finishing the current batch", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
