"""Soak: 10,000 posts per platform over hundreds of pages, 5% of requests faulty.

The driver behaves like the ingest stage: it keeps the cursor only with a stored
page, waits out RateLimited on the (fake) clock, retries transient errors, now
and then "crashes" (a new connector from the stored cursor) or loses a page
before storing it. Every post must be found, and none handed out twice.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from connectors.base import RateLimited, TransientError
from connectors.reddit import RedditConnector
from connectors.twitter import TwitterConnector
from tests.connectors.conftest import Response
from tests.connectors.fake_reddit import ENV as REDDIT_ENV
from tests.connectors.fake_reddit import FakeReddit
from tests.connectors.fake_x import ENV as X_ENV
from tests.connectors.fake_x import FakeX

TOTAL = 10_000
pytestmark = pytest.mark.slow


def faults(clock) -> list[Response]:
    return [
        Response(500, {"title": "Internal Error"}),
        Response(503, b"<html>upstream overloaded</html>"),
        Response(429, {"title": "Too Many Requests"}, {
            "x-rate-limit-reset": str(int(clock.now) + 900), "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "600", "x-ratelimit-reset": "60"}),
        Response(200, b"<html>truncated"),
        Response(200, {"meta": {"result_count": 0}}, delay=0.25),  # the client times out
    ]


def drive(build, add_batch, clock, *, rng: random.Random) -> tuple[Counter[str], int]:
    """Add posts in batches and ingest like the stage; return ids handed out and pages."""
    source, cursor, found, pages = build(), None, Counter[str](), 0
    added = 0
    while True:
        added += add_batch(min(TOTAL - added, rng.randint(1, 90)))
        for _ in range(2000):
            try:
                page = source.fetch(cursor, limit=100)
            except RateLimited as exc:
                clock.now = max(clock.now, exc.retry_at)
                continue
            except TransientError:
                continue
            if rng.random() < 0.02:  # the store failed: the page and its cursor are lost
                continue
            found.update(p.id for p in page.posts)
            cursor, pages = page.cursor, pages + 1
            if rng.random() < 0.01:  # crash: a new process resumes from the stored cursor
                source.close()
                source = build()
            if page.exhausted:
                break
        else:
            raise AssertionError("never caught up")
        if added >= TOTAL:  # everything is out there and we have caught up
            return found, pages


def test_x_soak(server, clock) -> None:
    x = FakeX(clock.now)
    server.app = x
    x.fault_rate, x.fault_choices = 0.05, faults(clock)
    rng = random.Random(3)

    def add(n: int) -> int:
        x.now = clock.now
        for _ in range(n):
            x.add(age=rng.uniform(0, 30))
        return n

    def build() -> TwitterConnector:
        return TwitterConnector("x-soak", {"query": "acme", "timeout": 0.1}, env=X_ENV,
                                base_url=server.url, sleep=clock.sleep, clock=clock.time)

    found, pages = drive(build, add, clock, rng=rng)
    assert set(found) == {t["id"] for t in x.tweets.values()} and len(found) == TOTAL
    assert max(found.values()) == 1  # nothing handed out twice
    assert pages >= 200
    assert all(s <= 8 for s in clock.sleeps)


def test_reddit_soak(server, clock, prawcore_sleeps) -> None:
    rd = FakeReddit(clock.now)
    server.app = rd
    rd.fault_rate, rd.fault_choices = 0.05, faults(clock)
    rng = random.Random(5)
    submissions: list[str] = []

    def add(n: int) -> int:
        rd.now = clock.now
        for _ in range(n):
            if submissions and rng.random() < 0.6:
                rd.comment(rng.choice(submissions[-50:]))
            else:
                title = "acme news" if rng.random() < 0.3 else "other news"
                submissions.append(rd.submission(title, sub=rng.choice(["acme", "gadgets"])))
        return n

    def build() -> RedditConnector:
        return RedditConnector("rd-soak", {"subreddits": ["acme", "gadgets"],
                                           "keywords": ["acme"], "timeout": 0.1},
                               env=REDDIT_ENV, base_url=server.url, sleep=clock.sleep,
                               clock=clock.time)

    found, pages = drive(build, add, clock, rng=rng)
    assert set(found) == set(rd.items) and len(found) == TOTAL
    assert pages >= 200
    duplicates = sum(found.values()) - len(found)
    assert duplicates < TOTAL * 0.01  # only after a crash can two listings both hand one out
