"""`socialbot doctor --send-test`: one test message through every channel, to local receivers."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from socialbot.cli import app
from tests.monitoring.receivers import smtp_server, webhook_receiver


def _config(tmp_path: Path, smtp_port: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[database]
url = "sqlite:///{tmp_path / 'db.sqlite'}"
[[channel]]
name = "slack"
kind = "webhook"
format = "slack"
url_env = "TEST_SLACK_URL"
[[channel]]
name = "mail"
kind = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "socialbot@example.com"
to = ["team@example.com"]
[[channel]]
name = "ops-hook"
kind = "webhook"
url_env = "TEST_OPS_URL"
""")
    return path


def test_send_test_reaches_slack_and_email_and_names_what_failed(tmp_path, monkeypatch) -> None:
    with webhook_receiver(dedupe=True) as hook, smtp_server() as box:
        monkeypatch.setenv("TEST_SLACK_URL", hook.url)
        monkeypatch.setenv("TEST_OPS_URL", "http://127.0.0.1:9/nothing-listens-here")
        cfg = str(_config(tmp_path, box.port))
        result = CliRunner().invoke(app, ["--config", cfg, "doctor", "--send-test"])
        again = CliRunner().invoke(app, ["--config", cfg, "doctor", "--send-test"])
    assert result.exit_code == 1  # the ops hook is unreachable
    assert "✓ channel 'slack' (webhook): test message sent" in result.output
    assert "✓ channel 'mail' (email): test message sent" in result.output
    assert "✗ channel 'ops-hook' (webhook): webhook unreachable" in result.output
    assert again.exit_code == 1

    [(_, body), _] = hook.requests
    assert body["text"].startswith("[TEST] socialbot: test message from `socialbot doctor")
    assert len(hook.accepted) == 2  # a second test is a new message, not a retried one
    [first, _] = box.messages
    assert first["Subject"].startswith("[TEST] socialbot:")
    assert "alerts reach you here" in first.get_body(("plain",)).get_content()


def test_send_test_without_channels_says_so(tmp_path, monkeypatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n')
    result = CliRunner().invoke(app, ["--config", str(path), "doctor", "--send-test"])
    assert result.exit_code == 1
    assert "no [[channel]] is configured" in result.output
