"""Which variables each platform needs, explained in plain words, checked offline and online."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest
from typer.testing import CliRunner

from connectors.base import SourceStopped
from connectors.credentials import (
    diagnose,
    explain_missing,
    missing,
    require,
    secret_values,
)
from connectors.http import guard_secrets, redact
from socialbot.cli import app
from tests.connectors.fake_reddit import ENV as REDDIT_ENV
from tests.connectors.fake_reddit import FakeReddit
from tests.connectors.fake_x import ENV as X_ENV
from tests.connectors.fake_x import FakeX


@pytest.mark.parametrize(("platform", "purpose", "expected"), [
    ("twitter", "read", ["TWITTER_BEARER_TOKEN"]),
    ("twitter", "post", ["TWITTER_BEARER_TOKEN", "TWITTER_API_KEY", "TWITTER_API_SECRET",
                         "TWITTER_ACCESS_TOKEN", "TWITTER_ACCESS_TOKEN_SECRET"]),
    ("reddit", "read", ["REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"]),
    ("reddit", "post", ["REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT",
                        "REDDIT_USERNAME", "REDDIT_PASSWORD"]),
])
def test_missing_lists_every_needed_variable(platform, purpose, expected) -> None:
    assert missing(platform, purpose, {}) == expected
    assert missing(platform, purpose, {**X_ENV, **REDDIT_ENV}) == []


def test_blank_values_count_as_missing_and_explanations_say_where_to_get_them() -> None:
    env = {"TWITTER_BEARER_TOKEN": "   "}
    [line] = explain_missing("twitter", "read", env)
    assert line.startswith("X/Twitter reading needs TWITTER_BEARER_TOKEN")
    assert "developer.x.com" in line and line.endswith("it is not set.")


def test_require_names_what_is_missing_and_never_a_value() -> None:
    env = {"REDDIT_CLIENT_ID": "visible-id-123", "REDDIT_CLIENT_SECRET": "hidden-secret-456"}
    with pytest.raises(SourceStopped) as caught:
        require("reddit", "post", env)
    message = str(caught.value)
    assert "REDDIT_USER_AGENT" in message and "REDDIT_PASSWORD" in message
    assert "REDDIT_CLIENT_SECRET" not in message
    assert "hidden-secret-456" not in message and "visible-id-123" not in message


def test_secret_values_and_redact_mask_secrets_but_not_user_names() -> None:
    env = {**X_ENV, **REDDIT_ENV}
    secrets = secret_values(env)
    assert REDDIT_ENV["REDDIT_PASSWORD"] in secrets and "brandbot" not in secrets
    text = f"auth failed for {X_ENV['TWITTER_BEARER_TOKEN']} as brandbot"
    assert redact(text, secrets) == "auth failed for *** as brandbot"


def test_diagnose_offline_reports_each_platform() -> None:
    findings = diagnose({"twitter": "read", "reddit": "post"}, env=dict(X_ENV))
    assert [f.ok for f in findings if f.platform == "twitter"] == [True]
    reddit = [f.message for f in findings if f.platform == "reddit"]
    assert len(reddit) == 5 and all(m.endswith("it is not set.") for m in reddit)
    assert reddit[0].startswith("Reddit reading needs REDDIT_CLIENT_ID")
    assert reddit[4].startswith("Reddit posting replies needs REDDIT_PASSWORD")


def test_diagnose_online_against_both_apis(server, clock) -> None:
    from tests.connectors.conftest import LocalServer

    x = FakeX(clock.now)
    server.app = x
    other = LocalServer()
    try:
        other.app = FakeReddit(clock.now)
        findings = diagnose({"twitter": "post", "reddit": "post"}, online=True,
                            env={**X_ENV, **REDDIT_ENV},
                            base_urls={"twitter": server.url, "reddit": other.url})
    finally:
        other.close()
    assert all(f.ok for f in findings), findings
    messages = [f.message for f in findings]
    assert "X/Twitter posting works as @brandbot." in messages
    assert "Reddit posting works as u/brandbot." in messages
    assert any(r.path == "/2/users/me" for r in x.requests)


def test_diagnose_online_failure_names_the_fix_without_the_token(server, clock, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server.app = FakeX(clock.now)
    env = dict(X_ENV, TWITTER_BEARER_TOKEN="not-the-right-token-987")
    [_, failed] = diagnose({"twitter": "read"}, online=True, env=env,
                           base_urls={"twitter": server.url})
    assert not failed.ok and "TWITTER_BEARER_TOKEN" in failed.message
    assert "not-the-right-token-987" not in failed.message
    assert "not-the-right-token-987" not in caplog.text


def _config(tmp_path, *, dry_run: bool = True, extra: str = "") -> str:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[database]
url = "sqlite:///{tmp_path / 'db.sqlite'}"
[posting]
dry_run = {str(dry_run).lower()}
[[watch]]
name = "acme"
brand = "Acme"
[[source]]
name = "x-acme"
kind = "twitter"
watch = "acme"
query = "acme -is:retweet"
{extra}
""")
    return str(path)


def _clear(monkeypatch) -> None:
    for name in [*X_ENV, *REDDIT_ENV]:
        monkeypatch.delenv(name, raising=False)


def test_doctor_lists_what_is_missing_and_exits_1(tmp_path, monkeypatch) -> None:
    _clear(monkeypatch)
    result = CliRunner().invoke(app, ["--config", _config(tmp_path), "doctor"])
    assert result.exit_code == 1
    assert "TWITTER_BEARER_TOKEN" in result.output and "REDDIT" not in result.output


def test_doctor_passes_when_reading_variables_are_set(tmp_path, monkeypatch) -> None:
    _clear(monkeypatch)
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", X_ENV["TWITTER_BEARER_TOKEN"])
    result = CliRunner().invoke(app, ["--config", _config(tmp_path), "doctor"])
    assert result.exit_code == 0, result.output
    assert X_ENV["TWITTER_BEARER_TOKEN"] not in result.output


def test_doctor_asks_for_posting_keys_when_posting_is_on(tmp_path, monkeypatch) -> None:
    _clear(monkeypatch)
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", X_ENV["TWITTER_BEARER_TOKEN"])
    result = CliRunner().invoke(app, ["--config", _config(tmp_path, dry_run=False), "doctor"])
    assert result.exit_code == 1 and "TWITTER_ACCESS_TOKEN_SECRET" in result.output


def test_doctor_reports_a_bad_source_option(tmp_path, monkeypatch) -> None:
    _clear(monkeypatch)
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", X_ENV["TWITTER_BEARER_TOKEN"])
    result = CliRunner().invoke(app, ["--config", _config(tmp_path, extra="page_size = 5"),
                                      "doctor"])
    assert result.exit_code == 1 and "page_size" in result.output


@pytest.mark.parametrize("encode", [
    lambda s: s,
    lambda s: quote(s, safe=""),
    lambda s: quote_plus(s),
    lambda s: re.sub("%..", lambda m: m[0].lower(), quote(s, safe="")),  # %2f, not %2F
])
def test_a_token_in_a_logged_url_is_masked_however_it_is_encoded(
    encode: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    token = "AAA/b+c=d e"
    guard_secrets([token])
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logging.getLogger("urllib3.connectionpool").debug(
            "GET /2/tweets/search/recent?query=acme&token=%s HTTP/1.1", encode(token))
    assert "token=***" in caplog.text
    assert "AAA" not in caplog.text and "%2F" not in caplog.text.upper()
