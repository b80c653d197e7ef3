"""What each source read and posted per UTC day, as the platform bills it, and budget stops.

The schema is owned by migration 0011_source_usage. Reads are counted once per
post, platform and UTC day (X bills a post read again on the same day once):
`billed_reads` keeps only the current day's post ids for that, while
`source_usage` keeps the daily counts for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    delete,
    func,
    select,
    update,
)
from sqlmodel import Field, SQLModel

from socialbot.store.dialect import dialect_insert, insert_ignoring_conflicts
from socialbot.store.types import UTCDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")


class SourceUsageRow(SQLModel, table=True):
    """One source's billable calls on one UTC day."""

    __tablename__ = "source_usage"

    source: str = Field(sa_column=Column(String(200), primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    #: fetches that returned (a failed request reads nothing and costs nothing)
    requests: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    #: posts read that the platform bills: each post once per day and platform
    reads: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    #: posts created (replies), and of those, how many carried a URL
    writes: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    url_writes: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    last_fetch_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class BilledReadRow(SQLModel, table=True):
    """A post already billed today on its platform; earlier days are deleted as they pass."""

    __tablename__ = "billed_reads"

    platform: str = Field(sa_column=Column(String(32), primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    post_id: str = Field(sa_column=Column(String(200), primary_key=True))
    #: the source whose read was billed (the first to read it that day)
    source: str = Field(sa_column=Column(String(200), nullable=False))


class ReadBudgetStopRow(SQLModel, table=True):
    """A source that reached its monthly read budget; one row, and one alert, per month."""

    __tablename__ = "read_budget_stops"

    source: str = Field(sa_column=Column(String(200), primary_key=True))
    #: the first day of the UTC month the budget ran out in
    month: date = Field(sa_column=Column(Date, primary_key=True))
    stopped_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    reads: int = Field(sa_column=Column(Integer, nullable=False))
    budget: int = Field(sa_column=Column(Integer, nullable=False))
    alert_id: int | None = Field(
        default=None, sa_column=Column(_ID, ForeignKey("alerts.id", ondelete="SET NULL"))
    )


SOURCE_USAGE: Table = SourceUsageRow.__table__  # type: ignore[attr-defined]
BILLED_READS: Table = BilledReadRow.__table__  # type: ignore[attr-defined]
READ_BUDGET_STOPS: Table = ReadBudgetStopRow.__table__  # type: ignore[attr-defined]


def _add(conn: Connection, *, source: str, platform: str, day: date, **counts: int) -> None:
    """Add `counts` to the source's row of `day`, creating it on first use."""
    stmt = dialect_insert(conn, SOURCE_USAGE).values(
        source=source, day=day, platform=platform,
        **{k: counts.get(k, 0) for k in ("requests", "reads", "writes", "url_writes")},
        last_fetch_at=None,
    )
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[SOURCE_USAGE.c.source, SOURCE_USAGE.c.day],
        set_={k: SOURCE_USAGE.c[k] + v for k, v in counts.items()},
    ))


def record_fetch(
    conn: Connection, *, source: str, platform: str, post_ids: Sequence[str], now: datetime
) -> int:
    """Count one fetch that returned `post_ids`; returns how many of them are billed reads."""
    day = now.date()
    conn.execute(delete(BILLED_READS).where(BILLED_READS.c.platform == platform,
                                            BILLED_READS.c.day < day))
    billed = 0
    rows = [{"platform": platform, "day": day, "post_id": i, "source": source}
            for i in dict.fromkeys(post_ids)]
    if rows:
        stmt = insert_ignoring_conflicts(conn, BILLED_READS)
        if conn.dialect.name == "postgresql":  # psycopg's batches report no rowcount
            billed = len(conn.execute(stmt.returning(BILLED_READS.c.post_id), rows).all())
        else:
            billed = max(conn.execute(stmt, rows).rowcount, 0)
    _add(conn, source=source, platform=platform, day=day, requests=1, reads=billed)
    conn.execute(SOURCE_USAGE.update()
                 .where(SOURCE_USAGE.c.source == source, SOURCE_USAGE.c.day == day)
                 .values(last_fetch_at=now))
    return billed


def record_write(
    conn: Connection, *, source: str, platform: str, with_url: bool, now: datetime
) -> None:
    """Count one post created through `source`."""
    _add(conn, source=source, platform=platform, day=now.date(), writes=1,
         url_writes=int(with_url))


def reads_since(conn: Connection, source: str, first_day: date) -> int:
    """Billed reads of `source` from `first_day` on."""
    return int(conn.execute(
        select(func.coalesce(func.sum(SOURCE_USAGE.c.reads), 0))
        .where(SOURCE_USAGE.c.source == source, SOURCE_USAGE.c.day >= first_day)
    ).scalar_one())


def last_fetch_at(conn: Connection, source: str) -> datetime | None:
    """When `source` last fetched something (any day)."""
    return conn.execute(
        select(func.max(SOURCE_USAGE.c.last_fetch_at)).where(SOURCE_USAGE.c.source == source)
    ).scalar_one()


def usage_since(conn: Connection, first_day: date) -> list[SourceUsageRow]:
    """Every source's daily rows from `first_day` on."""
    rows = conn.execute(select(SOURCE_USAGE).where(SOURCE_USAGE.c.day >= first_day)
                        .order_by(SOURCE_USAGE.c.source, SOURCE_USAGE.c.day))
    return [SourceUsageRow.model_validate(r._mapping) for r in rows]


def budget_stop(conn: Connection, source: str, month: date) -> ReadBudgetStopRow | None:
    """The stop recorded for `source` in `month`, if its budget ran out."""
    row = conn.execute(select(READ_BUDGET_STOPS).where(
        READ_BUDGET_STOPS.c.source == source, READ_BUDGET_STOPS.c.month == month)).first()
    return ReadBudgetStopRow.model_validate(row._mapping) if row else None


def claim_budget_stop(
    conn: Connection, *, source: str, month: date, now: datetime, reads: int, budget: int
) -> bool:
    """Record that `source` stopped in `month` at `budget`; True only for the first caller,
    who alerts. A budget raised since the last stop makes a new stop (and a new alert)."""
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here
    inserted = conn.execute(insert_ignoring_conflicts(conn, READ_BUDGET_STOPS).values(
        source=source, month=month, stopped_at=now, reads=reads, budget=budget,
    ).returning(READ_BUDGET_STOPS.c.source)).first()
    if inserted is not None:
        return True
    raised = conn.execute(
        update(READ_BUDGET_STOPS)
        .where(READ_BUDGET_STOPS.c.source == source, READ_BUDGET_STOPS.c.month == month,
               READ_BUDGET_STOPS.c.budget < budget)
        .values(stopped_at=now, reads=reads, budget=budget, alert_id=None)
        .returning(READ_BUDGET_STOPS.c.source)
    ).first()
    return raised is not None
