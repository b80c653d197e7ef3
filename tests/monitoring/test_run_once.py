"""The daemon end to end: `socialbot run --once` on the demo sends each alert event once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialbot.cli import app
from tests.monitoring.conftest import REPO
from tests.monitoring.receivers import webhook_receiver


@pytest.mark.usefixtures("truth_classifier")
def test_run_once_delivers_every_alert_event_once_through_a_flaky_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with webhook_receiver(fail_first=1) as hook:
        monkeypatch.setenv("TEST_SOCIALBOT_WEBHOOK", hook.url)
        cfg = tmp_path / "config.toml"
        text = (REPO / "config.toml").read_text()
        text = text.replace(
            'url = "sqlite:///var/socialbot.db"', f'url = "sqlite:///{tmp_path / "d.db"}"'
        )
        text = text.replace('backoff = "30s"', 'backoff = "1ms"')  # retry at once, no sleeping
        text += (
            '\n[[channel]]\nname = "hook"\nkind = "webhook"\nurl_env = "TEST_SOCIALBOT_WEBHOOK"\n'
        )
        cfg.write_text(text)
        result = CliRunner().invoke(app, ["--config", str(cfg), "run", "--once"])
        assert result.exit_code == 0, result.output
        again = CliRunner().invoke(app, ["--config", str(cfg), "run", "--once"])
        assert again.exit_code == 0, again.output
    ids = [d for d, _ in hook.accepted]
    assert len(ids) == len(set(ids)) >= 2  # every event once, the failed first one included
    events = {(body["alert"]["rule"], body["alert"]["event"]) for _, body in hook.accepted}
    assert {
        ("negative_spike:delivery", "opened"),
        ("negative_spike:delivery", "resolved"),
    } <= events
    assert {e for _, e in events} <= {"opened", "escalated", "resolved"}
    assert len(hook.requests) == len(ids) + 1
