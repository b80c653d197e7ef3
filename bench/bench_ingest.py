"""Ingest throughput: `socialbot replay` (classification off) vs a plain executemany.

Both write the same rows into a fresh SQLite file in WAL mode with the schema
the project's migrations create (same columns, unique key and indexes), in the
same run. The replay side also reads and validates the
JSONL, dedupes and moves the cursor in each page's transaction; the baseline
only inserts pre-built tuples in one transaction. Target: ratio >= 0.5.

    .venv/bin/python bench/bench_ingest.py [--posts 50000]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from socialbot.config import parse_config
from socialbot.replay import replay_file
from socialbot.store import open_store


def make_stream(path: Path, n: int) -> list[dict[str, object]]:
    rows = []
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with path.open("w") as fh:
        for i in range(n):
            row = {
                "platform": "twitter" if i % 3 else "reddit",
                "id": str(1850000000000000000 + i),
                "author": f"user{i % 977}",
                "text": f"@parcelly order {i} arrived late again, the courier left it outside",
                "created_at": (start + timedelta(seconds=7 * i)).isoformat(),
                "in_reply_to": None,
                "conversation_id": None,
                "url": f"https://x.com/user{i % 977}/status/{1850000000000000000 + i}",
                "lang": "en",
            }
            fh.write(json.dumps(row) + "\n")
            rows.append(row)
    return rows


def baseline(tmp: Path, rows: list[dict[str, object]]) -> float:
    """Pre-built tuples, one executemany, one commit, into the same migrated schema."""
    config = parse_config({"database": {"url": f"sqlite:///{tmp / 'baseline.db'}"}})
    open_store(config).dispose()  # the project's own schema: same columns and indexes
    conn = sqlite3.connect(tmp / "baseline.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    now = datetime.now().isoformat(" ")
    tuples = [
        (
            r["platform"],
            r["id"],
            "bench",
            None,
            r["text"],
            r["author"],
            datetime.fromisoformat(str(r["created_at"])).isoformat(" "),
            None,
            None,
            r["url"],
            r["lang"],
            now,
        )
        for r in rows
    ]
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO posts (platform, post_id, source, watch, text, author, created_at, "
            "in_reply_to, conversation_id, url, lang, ingested_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tuples,
        )
    elapsed = time.perf_counter() - started
    conn.close()
    return len(rows) / elapsed


def project(tmp: Path, stream: Path) -> float:
    config = parse_config(
        {"database": {"url": f"sqlite:///{tmp / 'socialbot.db'}"}}, path=tmp / "c.toml"
    )
    store = open_store(config)
    summary = replay_file(config, store, str(stream), downstream=False)
    store.dispose()
    assert summary.new_posts == summary.lines_read, "every line should be a new post"
    return summary.posts_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rows = make_stream(tmp / "stream.jsonl", args.posts)
        base_rate = baseline(tmp, rows)
        ours = project(tmp, tmp / "stream.jsonl")
    print(f"posts:                   {args.posts}")
    print(f"plain executemany:       {base_rate:,.0f} posts/s")
    print(f"socialbot replay ingest: {ours:,.0f} posts/s")
    print(f"ratio:                   {ours / base_rate:.2f}  (target >= 0.50)")


if __name__ == "__main__":
    main()
