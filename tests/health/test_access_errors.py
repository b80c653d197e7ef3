"""Access errors explained once: a 453 is one line in `status`, `doctor --online` and one alert."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.twitter import TwitterConnector
from socialbot.cli import app, common
from socialbot.config import load_config
from socialbot.health import online
from socialbot.stages.ingest import IngestStage
from socialbot.store import open_store
from tests.connectors.conftest import LocalServer, Response
from tests.connectors.fake_reddit import ENV as REDDIT_ENV
from tests.connectors.fake_reddit import FakeReddit
from tests.connectors.fake_x import ENV as X_ENV
from tests.connectors.fake_x import PLAN_LACKS_ENDPOINT, FakeX
from tests.health.support import SimTime, source_alerts

PLAN_LINE = "Your X plan does not include recent search (error 453)"


def _config(tmp_path: Path, *, dry_run: bool = True, reddit: bool = False) -> Path:
    path = tmp_path / "config.toml"
    text = f"""
[database]
url = "sqlite:///{tmp_path / 'db.sqlite'}"
[posting]
dry_run = {str(dry_run).lower()}
[classifier]
enabled = false
[[watch]]
name = "acme"
[[source]]
name = "x-acme"
kind = "twitter"
watch = "acme"
query = "acme -is:retweet"
"""
    if reddit:
        text += """
[[source]]
name = "rd-acme"
kind = "reddit"
watch = "acme"
subreddits = ["acmeprivate"]
"""
    path.write_text(text)
    return path


@pytest.fixture
def env(monkeypatch) -> None:
    for name, value in {**X_ENV, **REDDIT_ENV}.items():
        monkeypatch.setenv(name, value)


def test_a_453_is_one_line_in_status_and_one_alert(tmp_path, server, clock, caplog, env,
                                                    monkeypatch) -> None:
    caplog.set_level(logging.INFO)
    cfg = _config(tmp_path)
    store = open_store(load_config(cfg))
    x = FakeX(clock.now)
    server.app = x
    x.outage = PLAN_LACKS_ENDPOINT
    sim = SimTime(clock, x)
    source = TwitterConnector("x-acme", {"query": "acme -is:retweet"}, env=dict(X_ENV),
                              base_url=server.url, sleep=clock.sleep, clock=clock.time)
    stage = IngestStage(store, source, watch="acme", page_size=100, wall_clock=sim.clock)
    for _ in range(4):  # four probes, half an hour apart
        assert stage.run_batch() == 0
        sim.tick(minutes=31)
    assert len(x.requests) == 4
    store.dispose()

    said = [r for r in caplog.records if PLAN_LINE in r.getMessage()]
    assert [r.levelname for r in said] == ["INFO", "ERROR"]  # the alert, the log: once
    assert not any(r.exc_info for r in caplog.records)  # no traceback, ever
    [alert] = source_alerts(open_store(load_config(cfg)), "source_failing")
    assert PLAN_LINE in alert.detail

    monkeypatch.setattr(common.console, "_width", 400)  # the table's cells unfolded
    result = CliRunner().invoke(app, ["--config", str(cfg), "status"])
    assert result.exit_code == 0, result.output
    assert result.output.count("Your X plan does not include recent search") == 1
    assert "4 failed polls in a row, alert #1" in result.output
    assert "Traceback" not in result.output

    shown = CliRunner().invoke(app, ["--config", str(cfg), "alerts", "--id", str(alert.id)])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"[ALERT] source x-acme (twitter) failing: {PLAN_LINE}")
    out = tmp_path / "report.html"
    report = CliRunner().invoke(app, ["--config", str(cfg), "report", "--watch", "acme",
                                      "--since", "30d", "--out", str(out)])
    assert report.exit_code == 0, report.output
    assert "source x-acme (twitter) failing: Your X plan" in out.read_text()


def test_doctor_online_says_the_same_line_and_checks_each_source(tmp_path, server, clock, env,
                                                                 monkeypatch) -> None:
    x = FakeX(clock.now)
    server.app = x
    x.outage = PLAN_LACKS_ENDPOINT
    rd = FakeReddit(clock.now)
    rd.faults.append(Response(403, {"message": "Forbidden", "error": 403, "reason": "private"}))
    reddit_server = LocalServer()
    reddit_server.app = rd
    monkeypatch.setattr(online, "check_sources", functools.partial(
        online.check_sources, base_urls={"twitter": server.url, "reddit": reddit_server.url}))
    try:
        result = CliRunner().invoke(
            app, ["--config", str(_config(tmp_path, reddit=True)), "doctor", "--online"],
            terminal_width=400)
    finally:
        reddit_server.close()
    assert result.exit_code == 1
    lines = result.output.splitlines()
    [x_line] = [line for line in lines if "source 'x-acme'" in line]
    assert x_line.startswith(f"✗ source 'x-acme': {PLAN_LINE}")
    [rd_line] = [line for line in lines if "source 'rd-acme'" in line]
    assert rd_line.startswith("✗ source 'rd-acme': Reddit refused access (403)")
    assert "private" in rd_line
    assert [r.path for r in x.requests] == ["/2/tweets/search/recent"]  # one cheap call
    assert x.requests[0].query["query"] == "acme -is:retweet"


def test_doctor_online_passes_and_names_the_posting_account(tmp_path, server, clock, env,
                                                            monkeypatch) -> None:
    x = FakeX(clock.now)
    server.app = x
    x.add(age=3600)  # older than a minute: the check reads nothing billable
    monkeypatch.setattr(online, "check_sources", functools.partial(
        online.check_sources, base_urls={"twitter": server.url}))
    result = CliRunner().invoke(
        app, ["--config", str(_config(tmp_path, dry_run=False)), "doctor", "--online"],
        terminal_width=400)
    assert result.exit_code == 0, result.output
    assert ("✓ source 'x-acme': X recent search works for query 'acme -is:retweet' "
            "(0 posts in the last minute)") in result.output
    assert "✓ twitter replies are posted as @brandbot" in result.output
    assert x.served_ids == []
