"""The bucket width the trend counts were made in: remembered, checked, and reset for a recount.

Counts are kept at one base width (`[trends] bucket`). Changing it later would
mix old and new widths in `trend_buckets` and leave the alert rules judged up to
instants that are no longer bucket boundaries, so the width is stored with the
counts and every stage that reads or writes them checks it.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from socialbot.errors import ConfigError
from socialbot.store.dialect import dialect_insert
from socialbot.watching.counting import bucket_start
from socialbot.watching.kept_counts import counts_without_posts, rebin, restore
from socialbot.watching.tables import (
    ALERT_RULE_STATE,
    TREND_BUCKETS,
    TREND_COUNTED,
    TREND_SETTINGS,
)

_UNITS = (("d", 86400), ("h", 3600), ("m", 60))


class BucketWidthMismatch(ConfigError):
    """`[trends] bucket` differs from the width the stored trend counts were made in."""

    def __init__(self, stored: float, configured: float) -> None:
        self.stored = stored
        self.configured = configured
        was, now = width_label(stored), width_label(configured)
        super().__init__(
            f"trends were counted in {was} buckets but [trends] bucket is {now}: "
            f"run `socialbot trends --rebuild` to recount every classified post in {now} "
            f"buckets (or set [trends] bucket back to {was})"
        )


def width_label(seconds: float) -> str:
    """A width as config.toml spells it: 900 -> "15m", 3600 -> "1h", 86400 -> "1d"."""
    if seconds == int(seconds):
        whole = int(seconds)
        for unit, size in _UNITS:
            if whole % size == 0:
                return f"{whole // size}{unit}"
    return f"{seconds:g}s"


def stored_width(conn: Connection) -> float | None:
    """The width the trend counts were made in (None: not recorded yet)."""
    query = select(TREND_SETTINGS.c.bucket_seconds).where(TREND_SETTINGS.c.id == 1)
    width = conn.execute(query).scalar_one_or_none()
    return None if width is None else float(width)


def check_width(conn: Connection, width: float) -> None:
    """Raise BucketWidthMismatch if counts made at another width than `width` are stored."""
    stored = stored_width(conn)
    if stored is not None and stored != width and _has_counts(conn):
        raise BucketWidthMismatch(stored, width)


def claim_width(conn: Connection, width: float) -> None:
    """Check `width`, and record it if no counts say otherwise; call where counts are written.

    A width recorded while nothing was counted (a first start with no posts yet)
    is simply replaced: there is nothing to mix it with.
    """
    stored = stored_width(conn)
    if stored == width:
        return
    if stored is not None and _has_counts(conn):
        raise BucketWidthMismatch(stored, width)
    _record(conn, width)


def reset_counts(conn: Connection, width: float) -> int:
    """Clear the counts for a recount at `width`; return how many rules were realigned.

    The counts of posts no longer stored are carried over, re-bucketed (see
    socialbot.watching.kept_counts); every other count is dropped for the recount.

    Each rule's `evaluated_until` moves down to a `width` boundary, so its next
    windows line up with the new buckets; the few windows in between are judged
    again on the recounted posts. Alerts already raised stay as history.
    """
    # erased posts cannot be counted again: what they added is carried over
    stored = stored_width(conn)
    kept = counts_without_posts(conn)
    kept = rebin(kept, stored=stored or width, width=width)
    conn.execute(TREND_COUNTED.delete())
    conn.execute(TREND_BUCKETS.delete())
    restore(conn, kept)
    _record(conn, width)
    moved = 0
    state = ALERT_RULE_STATE.c
    for watch, rule, until in conn.execute(
        select(state.watch, state.rule, state.evaluated_until)
    ).all():
        aligned = bucket_start(until, width)
        if aligned != until:
            conn.execute(
                update(ALERT_RULE_STATE)
                .where(state.watch == watch, state.rule == rule)
                .values(evaluated_until=aligned)
            )
            moved += 1
    return moved


def _record(conn: Connection, width: float) -> None:
    stmt = dialect_insert(conn, TREND_SETTINGS).values(id=1, bucket_seconds=width)
    conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"bucket_seconds": width}))


def _has_counts(conn: Connection) -> bool:
    for table in (TREND_COUNTED, TREND_BUCKETS):
        if conn.execute(select(1).select_from(table).limit(1)).first() is not None:
            return True
    return False
