"""`socialbot doctor --online` and `--send-test`: each source and channel tried for real, once.

Every source gets one cheap request with its own options (X: its query over the
last minute; Reddit: one item of its first listing), so a missing access level,
a revoked token or a private subreddit shows up as the same one line `status`
and the `source_failing` alert give. Channels get one test message each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.base import Connector, ConnectorError, connector_class
from socialbot.clock import Clock, WallClock
from socialbot.config import Config, SourceConfig
from socialbot.errors import ConfigError
from socialbot.health.polls import explain
from socialbot.health.text import CHANNEL_TEST


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `doctor`: what was tried and whether it worked."""

    ok: bool
    message: str


def _connector(source: SourceConfig, env: Mapping[str, str] | None,
               base_urls: Mapping[str, str] | None) -> Connector:
    extra: dict[str, Any] = {}
    if env is not None:
        extra["env"] = env
    if base_urls and source.kind in base_urls:
        extra["base_url"] = base_urls[source.kind]
    return connector_class(source.kind)(source.name, source.options, **extra)


def check_sources(config: Config, *, env: Mapping[str, str] | None = None,
                  base_urls: Mapping[str, str] | None = None) -> list[Check]:
    """One request per enabled live source; with posting on, one who-am-I per platform."""
    checks: list[Check] = []
    posting: dict[str, SourceConfig] = {}
    for source in config.source:
        if not source.enabled or not connector_class(source.kind).live:
            continue
        connector = _connector(source, env, base_urls)
        try:
            checks.append(Check(True, f"source {source.name!r}: {connector.check_access()}"))
            if not config.posting.dry_run:
                posting.setdefault(source.kind, source)
        except ConnectorError as exc:
            checks.append(Check(False, f"source {source.name!r}: {explain(exc).line}"))
        finally:
            connector.close()
    for kind, source in posting.items():
        connector = _connector(source, env, base_urls)
        try:
            checks.append(Check(True, f"{kind} replies are posted as "
                                      f"{connector.posting_account()}"))
        except ConnectorError as exc:
            checks.append(Check(False, f"{kind} posting: {explain(exc).line}"))
        finally:
            connector.close()
    return checks


def channel_test_payload(now: datetime) -> dict[str, Any]:
    """The message every channel is sent: an alert of kind `channel_test`."""
    at = now.isoformat(timespec="seconds")
    return {
        "kind": CHANNEL_TEST, "event": "test", "status": "open", "rule": CHANNEL_TEST,
        "watch": "", "topic": None, "topics": [], "rules": [], "history": [],
        "line": f"test message from `socialbot doctor --send-test` at {at}; alerts reach you here",
        "started_at": at, "opened_at": at, "window": {"start": at, "end": at},
        "resolved_at": None, "observed": 0.0, "baseline": 0.0, "score": 0.0, "peak": 0.0,
        "baseline_method": None, "posts": [], "phrases": [],
    }


def send_tests(config: Config, *, clock: Clock | None = None) -> list[Check]:
    """Send one test message through every `[[channel]]`; say which arrived."""
    from socialbot.watching.channels import DeliveryError, build_channel
    from socialbot.watching.outbox import Delivery

    now = (clock or WallClock()).now()
    checks = []
    for spec in config.channel:
        try:
            channel = build_channel(spec)
            # a revision from the time (in microseconds) keeps each test's delivery id
            # (and Idempotency-Key) new, so a receiver that dedupes still shows it
            channel.send(Delivery(0, 0, int(now.timestamp() * 1e6), "test", spec.name,
                                  channel_test_payload(now), 1, ""))
        except (ConfigError, DeliveryError) as exc:
            checks.append(Check(False, f"channel {spec.name!r} ({spec.kind}): {exc}"))
        else:
            checks.append(Check(True, f"channel {spec.name!r} ({spec.kind}): test message sent"))
    return checks
