"""Recording when each job ran, for `socialbot status`."""

from __future__ import annotations

from sqlalchemy import Table, update

from socialbot.store import Store
from socialbot.store.dialect import insert_ignoring_conflicts
from socialbot.store.tables import JobRunRow
from socialbot.store.types import utcnow

JOB_RUNS: Table = JobRunRow.__table__  # type: ignore[attr-defined]


def job_started(store: Store, job: str) -> None:
    with store.transaction() as conn:
        conn.execute(insert_ignoring_conflicts(conn, JOB_RUNS).values(job=job))
        conn.execute(update(JOB_RUNS).where(JOB_RUNS.c.job == job).values(last_started=utcnow()))


def job_finished(store: Store, job: str, *, processed: int, error: str | None) -> None:
    with store.transaction() as conn:
        conn.execute(
            update(JOB_RUNS)
            .where(JOB_RUNS.c.job == job)
            .values(
                last_finished=utcnow(),
                last_processed=processed,
                total_processed=JOB_RUNS.c.total_processed + processed,
                runs=JOB_RUNS.c.runs + 1,
                last_error=error,
            )
        )
