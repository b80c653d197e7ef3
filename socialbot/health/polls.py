"""What each poll's outcome does to a source: back-off, circuit breaker, `source_failing`.

A failed poll is explained in one line (never a traceback every poll) and decides
when the source is tried next:

- credentials missing: at the next poll (checking them sends no request), so
  setting them is enough to start the source again, even after a restart;
- refused (401/403/453, a private subreddit): a slow probe every
  `[health] probe_interval`, as only a person can fix it; alerts at once;
- anything else: exponential back-off with jitter; after `failing_after`
  failures in a row the circuit opens (slow probe) and `source_failing` is raised.

The first poll the platform answers closes the circuit and resolves the alert.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, select, update

from connectors.base import ConnectorError, CredentialsMissing, SourceStopped
from socialbot.backoff import Backoff
from socialbot.config import HealthConfig
from socialbot.health.alerts import (
    AlertSink,
    SourceRef,
    note,
    open_alert,
    resolve_alert,
    revise_alert,
)
from socialbot.health.tables import SOURCE_HEALTH
from socialbot.health.text import FAILING
from socialbot.store.dialect import insert_ignoring_conflicts

logger = logging.getLogger(__name__)

ProblemKind = Literal["credentials", "refused", "transient", "unexpected"]

#: longest back-off before the circuit opens; the daemon never gives up
MAX_BACKOFF = timedelta(minutes=15)
#: 2 s after the first failure, doubling to MAX_BACKOFF; the jitter keeps many
#: workers from retrying in step
POLL_BACKOFF = Backoff(base=2.0, cap=MAX_BACKOFF.total_seconds(), jitter=0.5)


@dataclass(frozen=True, slots=True)
class Problem:
    """A failed poll in one line, and whether a person has to act."""

    kind: ProblemKind
    line: str

    @property
    def needs_person(self) -> bool:
        return self.kind in ("credentials", "refused")


def explain(exc: Exception) -> Problem:
    """The one line `status`, `doctor` and the alert show for a failed poll."""
    if isinstance(exc, CredentialsMissing):
        return Problem("credentials", str(exc))
    if isinstance(exc, SourceStopped):
        return Problem("refused", str(exc))
    if isinstance(exc, ConnectorError):
        return Problem("transient", str(exc) or type(exc).__name__)
    return Problem("unexpected", f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the ingest stage records for a failed poll."""

    state: Literal["backing_off", "stopped"]
    problem: Problem
    retry_at: datetime | None
    failures: int
    #: the same problem as the previous poll's: logged in one short line, not in full
    repeated: bool

    def log(self, source: str, exc: Exception) -> None:
        when = self.retry_at.isoformat(timespec="seconds") if self.retry_at else "the next poll"
        if self.repeated:
            # missing variables are checked at every poll: say so at DEBUG, not every 30 s
            log = logger.debug if self.problem.kind == "credentials" else logger.info
            log("source %s still failing (%d in a row, the same problem), next try %s",
                source, self.failures, when)
        elif self.problem.kind == "unexpected":
            logger.error("source %s failed unexpectedly, next try %s", source, when,
                         exc_info=exc)
        elif self.problem.needs_person:
            logger.error("source %s stopped until fixed (next try %s): %s",
                         source, when, self.problem.line)
        else:
            logger.warning("source %s failed, retrying %s: %s", source, when, self.problem.line)


class PollWatchdog:
    """Records each poll of a source in `source_health`, in the caller's transaction."""

    def __init__(self, settings: HealthConfig | None = None, *, sink: AlertSink | None = None,
                 rng: random.Random | None = None) -> None:
        self.settings = settings or HealthConfig()
        self.sink = sink or AlertSink()
        self.rng = rng or random.Random()

    def failed(self, conn: Connection, source: SourceRef, exc: Exception, *,
               now: datetime) -> Verdict:
        """Count the failure, choose the next try, and raise `source_failing` when due."""
        row = health_row(conn, source.name)
        problem = explain(exc)
        failures = row.failures + 1
        repeated = problem.line == row.problem
        probe = timedelta(seconds=self.settings.probe_interval * self.rng.uniform(0.9, 1.0))
        retry_at: datetime | None
        state: Literal["backing_off", "stopped"]
        if problem.kind == "credentials":
            state, retry_at = "stopped", None
        elif problem.kind == "refused":
            state, retry_at = "stopped", now + probe
        else:
            wait = timedelta(seconds=POLL_BACKOFF.delay(failures - 1, self.rng))
            if failures >= self.settings.failing_after:
                wait = max(wait, probe)  # the circuit is open: a slow probe, never a hot loop
            state, retry_at = "backing_off", now + wait
        alert_id = row.failing_alert_id
        if problem.needs_person or failures >= self.settings.failing_after:
            if alert_id is None:
                alert_id = open_alert(conn, self.sink, source, kind=FAILING, line=problem.line,
                                      since=row.failing_since or now, now=now,
                                      observed=failures, baseline=self.settings.failing_after)
            elif problem.kind != row.problem_kind:
                revise_alert(conn, self.sink, alert_id, line=problem.line, now=now)
            elif not repeated:
                note(conn, alert_id, line=problem.line, now=now)
        conn.execute(update(SOURCE_HEALTH).where(SOURCE_HEALTH.c.source == source.name).values(
            failures=failures, failing_since=row.failing_since or now, problem=problem.line,
            problem_kind=problem.kind, failing_alert_id=alert_id))
        return Verdict(state, problem, retry_at, failures, repeated)

    def answered(self, conn: Connection, source: SourceRef, *, new_posts: int,
                 now: datetime) -> None:
        """The platform answered a poll: close the circuit, resolve what this poll disproves."""
        row = health_row(conn, source.name)
        values: dict[str, Any] = {
            "failures": 0, "failing_since": None, "problem": None, "problem_kind": None,
            "last_answer_at": now, "empty_polls": 0 if new_posts else row.empty_polls + 1,
        }
        if new_posts:
            values["last_arrival_at"] = now
        if row.failing_alert_id is not None:
            after = f"after {row.failures} failed poll{'s' * (row.failures != 1)}"
            resolve_alert(conn, self.sink, row.failing_alert_id, now=now,
                          resolution=f"the platform answers again ({after})")
            values["failing_alert_id"] = None
        if new_posts and row.silent_alert_id is not None:
            resolve_alert(conn, self.sink, row.silent_alert_id, now=now,
                          resolution=f"posts arrive again ({new_posts} new)")
            values["silent_alert_id"] = None
        conn.execute(update(SOURCE_HEALTH).where(SOURCE_HEALTH.c.source == source.name)
                     .values(**values))


def health_row(conn: Connection, source: str) -> Any:
    """The source's row, created on first use and locked (PostgreSQL) for this transaction."""
    conn.execute(insert_ignoring_conflicts(conn, SOURCE_HEALTH).values(
        source=source, failures=0, empty_polls=0))
    query = select(SOURCE_HEALTH).where(SOURCE_HEALTH.c.source == source)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).one()
