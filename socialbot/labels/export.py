"""`socialbot labels export`: every label row with its post's text, as CSV or JSON lines.

The export is the full history (corrections of corrections and withdrawals included),
oldest first, so it can be audited or used as training data elsewhere; a row whose
`value` is empty withdrew the label before it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy import Connection, select

from socialbot.store.ingest import POSTS
from socialbot.store.labels import LABELS

FORMATS = ("csv", "jsonl")
COLUMNS = ("id", "at", "labeller", "source", "sample", "watch", "platform", "post_id",
           "kind", "value", "predicted", "model_version", "text")


def export_rows(conn: Connection, *, watch: str | None = None) -> Iterator[dict[str, object]]:
    """Label rows, oldest first, each with the post's text (None if the post is gone)."""
    query = (
        select(LABELS, POSTS.c.text)
        .outerjoin(POSTS, (POSTS.c.platform == LABELS.c.platform)
                   & (POSTS.c.post_id == LABELS.c.post_id))
        .order_by(LABELS.c.id)
    )
    if watch is not None:
        query = query.where(LABELS.c.watch == watch)
    for row in conn.execute(query):
        out = {name: getattr(row, name) for name in COLUMNS}
        out["at"] = row.at.isoformat()
        yield out


def write_labels(conn: Connection, out: TextIO, *, fmt: str, watch: str | None = None) -> int:
    """Write the export to `out` in `fmt` (csv or jsonl); return the number of rows."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use csv or jsonl")
    written = 0
    writer = csv.DictWriter(out, fieldnames=COLUMNS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for row in export_rows(conn, watch=watch):
        if writer is not None:
            writer.writerow(row)
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        written += 1
    return written
