"""Reddit sources sharing one client id keep to its rate limit together (real praw, fake Reddit)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from connectors.base import RateLimited
from connectors.reddit import RedditConnector
from connectors.reddit_pacing import MAX_SLEEP
from tests.connectors.conftest import FakeClock, LocalServer, Request, Response
from tests.connectors.fake_reddit import ENV, FakeReddit


@pytest.fixture(autouse=True)
def _no_prawcore_sleep(prawcore_sleeps) -> None:
    """prawcore's own per-session pacing must not cost wall time here."""


def test_sources_of_one_client_id_slow_down_together_when_few_requests_remain(
    server: LocalServer, clock: FakeClock,
) -> None:
    rd = FakeReddit(clock.now)
    sent_at: list[float] = []

    def app(request: Request) -> Response:
        if not request.path.startswith("/api/v1/access_token"):
            sent_at.append(clock.now)
        return rd(request)

    server.app = app
    for _ in range(3):
        rd.submission("acme news")

    def source(name: str, **options: object) -> RedditConnector:
        return RedditConnector(name, {"include_comments": False, **options}, env=ENV,
                               base_url=server.url, sleep=clock.sleep, clock=clock.time)

    sources = [source("rd-sub", subreddits=["acme"]), source("rd-search", keywords=["acme"])]
    cursors: list[str | None] = [None, None]

    def poll_both() -> None:
        for i, s in enumerate(sources):
            cursors[i] = s.fetch(cursors[i], limit=100).cursor

    poll_both()  # 590 of 600 left: as fast as asked
    assert clock.sleeps == []

    # 20 of 600 left, renewing in 100 s: one request every 5 s, for both sources together
    rd.limits = {"x-ratelimit-remaining": "20", "x-ratelimit-used": "580",
                 "x-ratelimit-reset": "100"}
    poll_both()
    start = len(sent_at)
    for _ in range(3):
        poll_both()
    gaps = [b - a for a, b in pairwise(sent_at[start - 1:])]
    assert len(gaps) >= 6 and min(gaps) >= 5.0 - 1e-6
    assert clock.sleeps and max(clock.sleeps) <= MAX_SLEEP

    # 2 left for 300 s: a turn 150 s away parks the source instead of sleeping that long
    rd.limits = {"x-ratelimit-remaining": "2", "x-ratelimit-used": "598",
                 "x-ratelimit-reset": "300"}
    sources[0].fetch(cursors[0], limit=100)
    asked = len(sent_at)
    with pytest.raises(RateLimited) as parked:
        sources[1].fetch(cursors[1], limit=100)
    assert len(sent_at) == asked  # nothing was sent
    assert parked.value.retry_at >= clock.now + 100
