"""The dashboard's latency on a large store: p50 / p95 of the posts page (first pages and
deep pages with filters) and of the overview, through the real app (Starlette's
TestClient: routing, login wall, templates, SQL), on a SQLite store of N posts.

The store is made here: N posts over 30 days for the demo watch, each with a prediction
and a topic, and the trend buckets they add up to (what the trends stage would write).

    .venv/bin/python bench/bench_web.py [--posts 1000000] [--requests 40] [--db PATH]

A `--db` that exists already is reused (building 1,000,000 posts takes minutes).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TOPICS = ("delivery", "billing", "product_quality", "customer_service", "app_bugs", "other")
WORDS = ("late", "parcel", "refund", "driver", "app", "crash", "thanks", "great", "broken",
         "charged", "twice", "support", "tracking", "stuck", "lost", "order")
START = datetime(2026, 10, 8, tzinfo=UTC)
PASSWORD = "bench-password-1"


def build(db: Path, n: int) -> None:
    from sqlalchemy import insert

    from socialbot.store import open_store
    from socialbot.store.ingest import POSTS
    from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
    from socialbot.store.web_users import Role, add_user
    from socialbot.watching.tables import ALL_TOPICS, TREND_BUCKETS, TREND_SETTINGS

    config = _config(db)
    store = open_store(config)
    rng = random.Random(7)
    span = 30 * 86400
    buckets: Counter[tuple[str, datetime, str, str]] = Counter()
    batch = 50_000
    now = datetime.now(UTC)
    for first in range(0, n, batch):
        posts, predictions, topics = [], [], []
        for i in range(first, min(n, first + batch)):
            at = START + timedelta(seconds=span * i / n)
            sentiment = rng.choices(("negative", "neutral", "positive"), (3, 5, 2))[0]
            topic = rng.choice(TOPICS)
            platform = "twitter" if i % 3 else "reddit"
            posts.append({"id": i + 1, "platform": platform, "post_id": str(i), "source": "bench",
                          "watch": "parcelly", "author": f"user{rng.randrange(50_000)}",
                          "text": " ".join(rng.choices(WORDS, k=8)) + f" @parcelly #{i}",
                          "created_at": at, "ingested_at": at,
                          "url": f"https://x.com/u/status/{i}"})
            p = {"negative": 0.8, "neutral": 0.1, "positive": 0.1}
            if sentiment != "negative":
                p = {"negative": 0.1, sentiment: 0.8,
                     ("positive" if sentiment == "neutral" else "neutral"): 0.1}
            predictions.append({"post_pk": i + 1, "sentiment": sentiment,
                                "p_negative": p["negative"], "p_neutral": p["neutral"],
                                "p_positive": p["positive"],
                                "topics": f'[{{"name": "{topic}", "score": 0.9}}]',
                                "model_version": "bench", "watch": "parcelly",
                                "classified_at": now})
            topics.append({"post_pk": i + 1, "topic": topic, "score": 0.9})
            bucket = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
            buckets[(topic, bucket, sentiment, platform)] += 1
            buckets[(ALL_TOPICS, bucket, sentiment, platform)] += 1
        with store.transaction() as conn:
            conn.execute(insert(POSTS), posts)
            conn.execute(insert(PREDICTIONS), predictions)
            conn.execute(insert(POST_TOPICS), topics)
        print(f"  stored {min(n, first + batch):,} posts", file=sys.stderr)
    with store.transaction() as conn:
        conn.execute(insert(TREND_BUCKETS), [
            {"watch": "parcelly", "topic": t, "bucket_start": b, "sentiment": s,
             "platform": p, "posts": c} for (t, b, s, p), c in buckets.items()])
        conn.execute(insert(TREND_SETTINGS).values(id=1, bucket_seconds=900.0))
    add_user(store, "bench", role=Role.VIEWER, password=PASSWORD)
    store.dispose()


def _config(db: Path):  # type: ignore[no-untyped-def]
    import tomllib

    from socialbot.config import parse_config

    data = tomllib.loads((REPO / "config.toml").read_text())
    data["database"] = {"url": f"sqlite:///{db}"}
    return parse_config(data, path=db.parent / "config.toml")


def _timed(client, url: str) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return elapsed * 1000, response.text


def measure(db: Path, requests: int) -> None:
    import re

    from starlette.testclient import TestClient

    from socialbot.store import open_store
    from socialbot.web.app import build_app

    config = _config(db)
    store = open_store(config)
    with TestClient(build_app(config, store)) as client:
        page = client.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"name": "bench", "password": PASSWORD, "csrf": csrf})
        filters = ["", "sentiment=negative", "topic=delivery", "sentiment=negative&topic=delivery",
                   "platform=reddit&sentiment=positive", "author=user123",
                   "since=2026-10-20&until=2026-10-21", "q=refund"]
        first, deep = [], []
        for k in range(requests):
            url = "/posts?" + filters[k % len(filters)]
            ms, html = _timed(client, url)
            first.append(ms)
            for _ in range(3):  # follow "Older posts" a few pages down
                found = re.search(r'id="older" href="([^"]+)"', html)
                if not found:
                    break
                ms, html = _timed(client, found.group(1).replace("&amp;", "&"))
                deep.append(ms)
        overview = [_timed(client, "/watch/parcelly?span=" + ("7d&bucket=1h" if k % 2 else
                                                              "30d&bucket=6h"))[0]
                    for k in range(max(10, requests // 2))]
    store.dispose()
    for name, values in (("posts, first page", first), ("posts, next pages", deep),
                         ("posts, all", first + deep), ("overview", overview)):
        q = statistics.quantiles(values, n=20)
        print(f"{name:20s} n={len(values):3d}  p50 {statistics.median(values):7.1f} ms"
              f"  p95 {q[18]:7.1f} ms  max {max(values):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    db = args.db or folder / "bench.db"
    if not db.exists():
        t0 = time.perf_counter()
        build(db, args.posts)
        print(f"built {args.posts:,} posts in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    measure(db, args.requests)


if __name__ == "__main__":
    main()
