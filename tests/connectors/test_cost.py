"""The X cost meter and read budget, through the real ingest stage, tweepy and a fake X."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from connectors.twitter import TwitterConnector
from socialbot.clock import StreamClock
from socialbot.metering.sources import connector_spending
from socialbot.metering.summary import spending_summary
from socialbot.stages.deliver import DeliverStage
from socialbot.stages.ingest import IngestStage
from socialbot.stages.post import PostStage
from socialbot.store import Store, open_store
from socialbot.store.ingest import SOURCES
from socialbot.watching.channels.console import ConsoleChannel
from socialbot.watching.tables import ALERTS, OUTBOX
from tests.conftest import make_config
from tests.connectors.conftest import FakeClock, LocalServer
from tests.connectors.fake_x import ENV, FakeX, XWorld


@dataclass
class World(XWorld):
    """One X source under the ingest stage, with time that only moves when told."""

    stage: IngestStage

    def poll(self) -> int:
        """What one scheduled run of the ingest job does: batches until one handles nothing."""
        handled = 0
        for _ in range(500):
            got = self.stage.run_batch()
            handled += got
            if not got:
                return handled
        raise AssertionError("the stage never drained")

    def searches(self) -> list[Any]:
        return [r for r in self.x.requests if r.path == "/2/tweets/search/recent"]

    def spending(self) -> dict[str, Any]:
        with self.store.reading() as conn:
            rows = spending_summary(conn, self.config, now=self.wall.now())
        return next(r for r in rows if r["source"] == "x-acme")


@pytest.fixture
def world(tmp_path: Path, server: LocalServer, clock: FakeClock, any_store: Store,
          request: pytest.FixtureRequest) -> Iterator[World]:
    """On SQLite and on PostgreSQL; `request.param` = (start, monthly_read_budget)."""
    start, budget = getattr(request, "param", (datetime(2026, 12, 10, 12, tzinfo=UTC), None))
    clock.now = start.timestamp()
    source: dict[str, Any] = {"name": "x-acme", "kind": "twitter", "watch": "acme",
                              "query": "acme"}
    if budget is not None:
        source["monthly_read_budget"] = budget
    config = make_config(tmp_path, watch=[{"name": "acme"}], source=[source],
                         channel=[{"name": "ops", "kind": "console"}])
    store = any_store
    x = FakeX(clock.now)
    server.app = x
    connector = TwitterConnector("x-acme", config.source[0].options, env=ENV,
                                 base_url=server.url, sleep=clock.sleep, clock=clock.time)
    wall = StreamClock(start)
    stage = IngestStage(store, connector, watch="acme", page_size=config.daemon.page_size,
                        wall_clock=wall,
                        spending=connector_spending(connector, config.source[0], config))
    yield World(config, store, x, clock, wall, stage)
    stage.close()


def _forget_cursor(world: World) -> None:
    """As after a lost cursor: the next poll reads the last 7 days again."""
    with world.store.transaction() as conn:
        conn.execute(update(SOURCES).values(cursor=None))


def test_a_post_read_twice_on_one_utc_day_is_billed_once(world: World) -> None:
    for _ in range(30):
        world.x.add()
    assert world.poll() == 30
    _forget_cursor(world)
    world.advance(timedelta(hours=1))
    assert world.poll() == 30  # the same 30 posts fetched again ...
    today = world.spending()["today"]
    assert today["reads"] == 30 and today["cost_usd"] == pytest.approx(0.15)  # ... billed once
    assert len(world.x.served_ids) == 60
    world.advance(timedelta(hours=12))  # 2026-12-11 01:00 UTC: a new billing day
    _forget_cursor(world)
    world.poll()
    spent = world.spending()
    assert spent["today"]["reads"] == 30
    assert spent["month"]["reads"] == 60 and spent["month"]["cost_usd"] == pytest.approx(0.30)


def _month_of_polling(world: World, *, until: datetime, every: timedelta,
                      arriving: int) -> list[tuple[datetime, int]]:
    """Posts keep arriving and the scheduler runs the ingest job every `every` until `until`;
    returns (when, max_results) of each search X saw."""
    asked: list[tuple[datetime, int]] = []
    while world.wall.now() < until:
        for _ in range(arriving):
            world.x.add(age=1.0)
        seen = len(world.searches())
        world.poll()
        asked += [(world.wall.now(), int(r.query["max_results"]))
                  for r in world.searches()[seen:]]
        world.advance(every)
    return asked


def _alerts(world: World) -> list[Any]:
    with world.store.reading() as conn:
        return list(conn.execute(select(ALERTS).order_by(ALERTS.c.id)).all())


def _deliveries(world: World) -> list[Any]:
    with world.store.reading() as conn:
        return list(conn.execute(select(OUTBOX)).all())


@pytest.mark.parametrize("world", [(datetime(2026, 12, 29, tzinfo=UTC), 1000)], indirect=True)
def test_a_read_budget_slows_polling_then_stops_it_below_the_cap_with_one_alert(
    world: World,
) -> None:
    new_year = datetime(2027, 1, 1, tzinfo=UTC)
    asked = _month_of_polling(world, until=new_year, every=timedelta(hours=1), arriving=100)
    with world.store.reading() as conn:
        december = next(r for r in spending_summary(conn, world.config, now=new_year
                                                    - timedelta(minutes=1))
                        if r["source"] == "x-acme")
    # X was never asked for more than the budget had left, and it stopped with < 1 page left
    assert 990 < december["month"]["reads"] <= 1000
    assert december["budget"]["state"] == "stopped"
    # full pages every hour up to 80% of the budget, then smaller pages, further apart
    full = [(when, size) for when, size in asked if size == 100]
    slowed = [(when, size) for when, size in asked if size < 100]
    assert len(full) >= 16 and len(slowed) >= 3
    assert max(when for when, _ in full) < min(when for when, _ in slowed)
    sizes = [size for _, size in slowed]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 10  # X's smallest page
    gaps = [b[0] - a[0] for a, b in pairwise(slowed)]
    assert min(gaps) > timedelta(hours=2)
    # one alert, queued once for the channel, and nothing asked of X until the new month
    [alert] = _alerts(world)
    assert alert.kind == "read_budget" and alert.status == "open"
    stopped_at = alert.started_at
    assert all(when <= stopped_at for when, _ in asked)
    [delivery] = _deliveries(world)
    out = io.StringIO()
    DeliverStage(world.store, [ConsoleChannel("ops", stream=out)],
                 settings=world.config.alerts, clock=world.wall).run_batch()
    assert "source 'x-acme' stopped polling" in out.getvalue()
    assert "of its 1,000 posts budget for December 2026" in out.getvalue()
    assert json.loads(delivery.payload)["message"] in out.getvalue()

    # the 1st of the month (UTC): polling resumes; the alert closes without a second message
    before = len(world.searches())
    world.poll()
    assert len(world.searches()) > before
    [alert] = _alerts(world)
    assert alert.status == "resolved"
    assert len(_deliveries(world)) == 1
    assert world.spending()["budget"]["state"] != "stopped"


def test_replies_posted_count_as_writes_and_a_link_costs_more(tmp_path: Path) -> None:
    from tests.moderation.support import FakeClock as WallClock
    from tests.moderation.test_poster import FakePlatform, approve_all, live_config, open_with

    config = live_config(tmp_path)
    store = open_with(config, 2)
    clock = WallClock()
    approve_all(store, clock, edits={1: "Sorry! Track it at parcelly.com/track ^PB",
                                     2: "Sorry! We will DM you today. ^PB"})
    platform = FakePlatform()
    PostStage(store, config, connector_for=lambda _p, _w: platform, wall_clock=clock).run_batch()
    assert len(platform.sent) == 2
    with store.reading() as conn:
        [spent] = spending_summary(conn, config, now=clock.now())
    assert spent["source"] == "fake" and spent["today"]["writes"] == 2
    assert spent["today"]["writes_with_url"] == 1
    assert spent["today"]["cost_usd"] == pytest.approx(0.015 + 0.20)
    store.dispose()


def test_status_shows_reads_writes_and_cost_per_source_today_and_this_month(
    tmp_path: Path, server: LocalServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from socialbot.cli import app
    from socialbot.store.types import utcnow
    from socialbot.store.usage import record_fetch, record_write

    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[classifier]\nenabled = false\n[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n'
        '[[source]]\nname = "x-acme"\nkind = "twitter"\nquery = "acme"\n'
        'monthly_read_budget = "$50"\n'
        '[[source]]\nname = "rd-acme"\nkind = "reddit"\nsubreddits = ["acme"]\n'
    )
    from socialbot.config import load_config

    config = load_config(cfg)
    store = open_store(config)
    x = FakeX(clock.now)
    server.app = x
    for _ in range(40):
        x.add()
    connector = TwitterConnector("x-acme", config.source[0].options, env=ENV,
                                 base_url=server.url, sleep=clock.sleep, clock=clock.time)
    stage = IngestStage(store, connector, watch=None, page_size=100,
                        spending=connector_spending(connector, config.source[0], config))
    while stage.run_batch():
        pass
    now = utcnow()
    with store.transaction() as conn:
        record_write(conn, source="x-acme", platform="twitter", with_url=True, now=now)
        record_fetch(conn, source="rd-acme", platform="reddit", post_ids=["t3_a", "t3_b"],
                     now=now)
    stage.close()
    store.dispose()
    monkeypatch.setenv("COLUMNS", "200")  # one table row per source
    result = CliRunner().invoke(app, ["--config", str(cfg), "status"])
    assert result.exit_code == 0, result.output
    line = next(row for row in result.stdout.splitlines() if "x-acme" in row and "$" in row)
    cells = [c.strip() for c in line.split("│") if c.strip()]
    # 40 reads ($0.20) and one reply with a link ($0.20), today and so far this month
    assert cells == ["x-acme", "40", "1", "$0.40", "40", "1", "$0.40",
                     "40 / 10,000 ($50) ok"]
    reddit = next(row for row in result.stdout.splitlines() if "rd-acme" in row and "free" in row)
    assert [c.strip() for c in reddit.split("│") if c.strip()][:4] == ["rd-acme", "2", "0", "free"]
    as_json = CliRunner().invoke(app, ["--config", str(cfg), "status", "--json"])
    spent = {r["source"]: r for r in json.loads(as_json.stdout)["spending"]}
    assert spent["x-acme"]["month"] == {"requests": 2, "reads": 40, "writes": 1,
                                        "writes_with_url": 1, "cost_usd": 0.4}
