"""`socialbot trends`, `alerts` and `report` on a replayed demo week."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialbot.cli import app
from tests.monitoring.conftest import REPO, TRUTH_BUILDER


@pytest.fixture(scope="module")
def demo_cfg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config file whose database holds the demo week, replayed with ground-truth labels."""
    import socialbot.stages as stages

    folder = tmp_path_factory.mktemp("demo")
    cfg = folder / "config.toml"
    cfg.write_text(
        (REPO / "config.toml")
        .read_text()
        .replace('url = "sqlite:///var/socialbot.db"', f'url = "sqlite:///{folder / "demo.db"}"')
        # the demo's commented-out volume rule, on: it fires on the incident's posts too
        .replace(
            '# [[watch.alert]]\n# kind = "volume_spike"', '[[watch.alert]]\nkind = "volume_spike"'
        )
    )
    with pytest.MonkeyPatch.context() as mp:
        builders = [
            b
            for b in stages.STAGE_BUILDERS
            if "classify" not in b and "draft" not in b and "post:" not in b
        ]
        mp.setattr(stages, "STAGE_BUILDERS", (builders[0], TRUTH_BUILDER, *builders[1:]))
        result = CliRunner().invoke(
            app, ["--config", str(cfg), "replay", "builtin:demo_stream"]
        )
    assert result.exit_code == 0, result.output
    yield cfg


def _run(cfg: Path, *args: str, columns: int = 80) -> str:
    result = CliRunner().invoke(app, ["--config", str(cfg), *args], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


def test_trends_json_is_the_whole_week_per_hour(demo_cfg: Path) -> None:
    data = json.loads(_run(demo_cfg, "trends", "--json", "--since", "7d"))
    assert data["bucket_seconds"] == 3600
    assert len(data["times"]) == 7 * 24
    assert set(data["series"]) == {"negative", "neutral", "positive"}
    assert sum(sum(v) for v in data["series"].values()) == 1709
    negative = data["series"]["negative"]
    peak = data["times"][negative.index(max(negative))]
    assert "2026-11-06T15:00" <= peak <= "2026-11-06T17:00"


def test_trends_by_topic_rolls_up_and_draws(demo_cfg: Path) -> None:
    out = _run(demo_cfg, "trends", "--by", "topic", "--bucket", "6h")
    assert "delivery" in out and "billing" in out
    assert re.search("[▁▂▃▄▅▆▇█]{10,}", out)
    daily = json.loads(
        _run(demo_cfg, "trends", "--by", "topic", "--bucket", "1d", "--json", "--topic", "delivery")
    )
    assert len(daily["times"]) == 7 and list(daily["series"]) == ["delivery"]
    assert max(daily["series"]["delivery"]) == daily["series"]["delivery"][4]  # Friday


def test_trends_rejects_a_bucket_finer_than_stored(demo_cfg: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(demo_cfg), "trends", "--bucket", "10m"])
    assert result.exit_code == 1
    assert "multiple of the stored bucket" in result.output


def test_alerts_lists_the_incident_once_and_explains(demo_cfg: Path) -> None:
    alerts = json.loads(_run(demo_cfg, "alerts", "--json"))
    # One incident, one alert: the volume rule fired on the delivery complaints and joined.
    assert [[r["rule"] for r in a["rules"]] for a in alerts] == [
        ["negative_spike:delivery", "volume_spike:all"]
    ]
    assert [h["what"] for h in alerts[0]["history"][:2]] == [
        "opened: negative_spike:delivery", "joined: volume_spike:all",
    ]
    table = _run(demo_cfg, "alerts", columns=150)
    assert "negative_spike:delivery + volume_spike:all" in table
    assert "resolved" in table and "why" in table
    narrow = _run(demo_cfg, "alerts")  # 80 columns: the phrases go below the table
    assert "rising:" in narrow
    full = _run(demo_cfg, "alerts", "--id", str(alerts[0]["id"]))
    assert "rising phrases:" in full and "baseline:" in full and "https://" in full
    assert "negative posts spiking about delivery; post volume spiking" in full
    assert "joined:   volume_spike:all" in full


def test_report_is_one_self_contained_file(demo_cfg: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    _run(demo_cfg, "report", "--since", "7d", "--out", str(out))
    page = out.read_text()
    assert page.count("<svg") >= 3
    assert "<script" not in page and "<link" not in page and " src=" not in page
    assert "negative_spike:delivery" in page  # the alert marker and its explanation
    assert "tracking stuck" in page
    assert "How far to trust the sentiment" in page
    assert ("not measured" in page) or ("accuracy" in page)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(demo_cfg: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    _run(demo_cfg, "report", "--out", str(out))
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--hide-scrollbars",
            "--window-size=1100,1800",
            f"--screenshot={shot}",
            out.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000  # charts and text, not a blank page
