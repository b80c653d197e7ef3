"""Read budgets and unit prices in config, the budget's pacing rule, and the report's cost table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from socialbot.errors import ConfigError
from socialbot.metering.billing import has_url
from socialbot.metering.budget import allowance, next_month
from socialbot.report.html import build_report
from socialbot.store import Store, open_store
from socialbot.store.usage import (
    BILLED_READS,
    claim_budget_stop,
    record_fetch,
    record_write,
    usage_since,
)
from tests.conftest import make_config


def _x_source(**extra: Any) -> dict[str, Any]:
    return {"name": "x-acme", "kind": "twitter", "watch": "acme", "query": "acme", **extra}


@pytest.mark.parametrize(("written", "posts"), [
    (10000, 10000), ("10000", 10000), ("2500 posts", 2500), ("$50", 10000), ("$0.5", 100),
    ("12.5 USD", 2500),
])
def test_a_read_budget_is_posts_or_money_at_the_read_price(tmp_path: Path, written: object,
                                                           posts: int) -> None:
    config = make_config(tmp_path, watch=[{"name": "acme"}],
                         source=[_x_source(monthly_read_budget=written)])
    budget = config.source[0].monthly_read_budget
    assert budget is not None and budget.posts(config.pricing.twitter.post_read) == posts
    assert "monthly_read_budget" not in config.source[0].options  # not a connector option


@pytest.mark.parametrize(("source", "says"), [
    (_x_source(monthly_read_budget="lots"), 'expected posts (100000) or money ("$50")'),
    (_x_source(monthly_read_budget=0), "must be more than 0"),
    ({"name": "rd", "kind": "reddit", "subreddits": ["acme"], "monthly_read_budget": "$5"},
     "cost nothing; give the budget in posts"),
])
def test_a_bad_read_budget_names_the_key(tmp_path: Path, source: dict[str, Any],
                                         says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, watch=[{"name": "acme"}], source=[source])
    assert "source[0].monthly_read_budget" in str(caught.value) and says in str(caught.value)


def test_unit_prices_can_be_changed_one_at_a_time(tmp_path: Path) -> None:
    config = make_config(tmp_path, pricing={"twitter": {"post_read": 0.004}},
                         watch=[{"name": "acme"}],
                         source=[_x_source(monthly_read_budget="$40")])
    prices = config.pricing.prices_for("twitter")
    assert prices is not None and (prices.post_read, prices.post_created) == (0.004, 0.015)
    assert config.pricing.prices_for("reddit") is None
    budget = config.source[0].monthly_read_budget
    assert budget is not None and budget.posts(prices.post_read) == 10000
    with pytest.raises(ConfigError, match=r"pricing\.twitter\.post_read"):
        make_config(tmp_path, pricing={"twitter": {"post_read": -1}})


NOW = datetime(2026, 12, 20, 12, tzinfo=UTC)


def test_a_budget_never_lets_a_fetch_past_it() -> None:
    # plenty left: a full page; a page would cross the budget: only what is left
    assert allowance(budget=1000, used=0, page_size=100, smallest_page=10, now=NOW,
                     last_fetch=None).limit == 100
    jump = allowance(budget=150, used=100, page_size=100, smallest_page=10, now=NOW,
                     last_fetch=None)
    assert jump.limit == 50 and not jump.stopped
    stopped = allowance(budget=1000, used=991, page_size=100, smallest_page=10, now=NOW,
                        last_fetch=None)
    assert stopped.stopped and stopped.limit == 0


def test_in_the_last_fifth_pages_shrink_and_fetches_spread_to_the_month_end() -> None:
    spent = allowance(budget=1000, used=900, page_size=100, smallest_page=10, now=NOW,
                      last_fetch=NOW)
    assert spent.slowed and spent.limit == 0  # it just fetched: wait
    assert spent.not_before is not None
    # 100 posts left for 11.5 days, pages of 50: one page every 5.75 days
    assert spent.not_before - NOW == (next_month(NOW) - NOW) * 50 / 100
    later = allowance(budget=1000, used=900, page_size=100, smallest_page=10,
                      now=spent.not_before, last_fetch=NOW)
    assert later.limit == 50


@pytest.mark.parametrize(("text", "url"), [
    ("Track it at https://parcelly.com/t/1", True), ("see parcelly.com/track", True),
    ("www.parcelly.de has it", True), ("Sorry! We will DM you today. ^PB", False),
    ("order no. 12.50 is late, e.g. today", False),
])
def test_a_reply_with_a_link_is_billed_as_one(text: str, url: bool) -> None:
    assert has_url(text) is url


def test_the_report_shows_the_watch_sources_usage_and_cost(tmp_path: Path) -> None:
    config = make_config(tmp_path, watch=[{"name": "acme"}, {"name": "other"}],
                         source=[_x_source(monthly_read_budget="$50"),
                                 {**_x_source(), "name": "x-other", "watch": "other"}])
    store = open_store(config)
    now = datetime.now(UTC)
    with store.transaction() as conn:
        record_fetch(conn, source="x-acme", platform="twitter",
                     post_ids=[str(i) for i in range(200)], now=now)
        record_write(conn, source="x-acme", platform="twitter", with_url=False, now=now)
        record_fetch(conn, source="x-other", platform="twitter", post_ids=["1"], now=now)
    with store.reading() as conn:
        page = build_report(conn, config, config.watch[0], since=86400, width=3600)
    store.dispose()
    section = page[page.index("Platform usage and estimated cost"):]
    assert "<td>x-acme</td><td>200</td><td>1</td><td>$1.01</td>" in section
    assert "200 of 10,000 ($50), ok" in section
    assert "x-other" not in section


def test_reads_are_billed_once_per_platform_and_day_on_either_database(any_store: Store) -> None:
    day = datetime(2026, 12, 20, 9, tzinfo=UTC)
    with any_store.transaction() as conn:
        assert record_fetch(conn, source="x-a", platform="twitter", post_ids=["1", "2", "2"],
                            now=day) == 2
        # another source of the same X app reading the same post: X bills it once
        assert record_fetch(conn, source="x-b", platform="twitter", post_ids=["2", "3"],
                            now=day) == 1
        assert record_fetch(conn, source="rd", platform="reddit", post_ids=["2"], now=day) == 1
        assert record_fetch(conn, source="x-a", platform="twitter", post_ids=["1"],
                            now=day + timedelta(days=1)) == 1
    with any_store.reading() as conn:
        rows = {(r.source, r.day.day): (r.requests, r.reads) for r in usage_since(
            conn, day.date().replace(day=1))}
        assert rows == {("x-a", 20): (1, 2), ("x-b", 20): (1, 1), ("rd", 20): (1, 1),
                        ("x-a", 21): (1, 1)}
        # only the current day's ids are kept for deduplication
        kept = conn.execute(select(BILLED_READS.c.day).where(
            BILLED_READS.c.platform == "twitter")).scalars().all()
        assert {d.day for d in kept} == {21}


def test_a_budget_stop_is_recorded_once_per_source_and_month(any_store: Store) -> None:
    day = datetime(2026, 12, 20, 9, tzinfo=UTC)
    with any_store.transaction() as conn:
        first = claim_budget_stop(conn, source="x-a", month=day.date().replace(day=1), now=day,
                                  reads=995, budget=1000)
        again = claim_budget_stop(conn, source="x-a", month=day.date().replace(day=1), now=day,
                                  reads=995, budget=1000)
        january = claim_budget_stop(conn, source="x-a", month=day.date().replace(
            year=2027, month=1, day=1), now=day, reads=995, budget=1000)
        # the budget raised to 2,000 and used up too: a new stop, a new alert; once
        raised = [claim_budget_stop(conn, source="x-a", month=day.date().replace(day=1),
                                    now=day, reads=1995, budget=2000) for _ in range(2)]
    assert (first, again, january) == (True, False, True)
    assert raised == [True, False]
