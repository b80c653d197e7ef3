"""Where alerts go: console, webhook (Slack or generic JSON) and email over SMTP.

DeliveryError        a send failed; the outbox retries it with backoff
"""

from __future__ import annotations

import os
from typing import Protocol

from socialbot.config import (
    ConsoleChannelConfig,
    EmailChannelConfig,
    WebhookChannelConfig,
)
from socialbot.errors import ConfigError, SocialbotError
from socialbot.watching.outbox import Delivery


class DeliveryError(SocialbotError):
    """A channel could not deliver; the message says why (never a secret)."""


class Channel(Protocol):
    name: str

    def send(self, delivery: Delivery) -> None:
        """Deliver or raise DeliveryError."""


def secret_from_env(var: str, *, channel: str) -> str:
    """A secret named in config, read from the environment; missing is a config error."""
    value = os.environ.get(var, "")
    if not value:
        raise ConfigError(f"channel {channel!r}: environment variable {var} is not set")
    return value


def build_channel(
    config: ConsoleChannelConfig | WebhookChannelConfig | EmailChannelConfig,
) -> Channel:
    """The channel a `[[channel]]` table describes; secrets are looked up now."""
    if isinstance(config, ConsoleChannelConfig):
        from socialbot.watching.channels.console import ConsoleChannel

        return ConsoleChannel(config.name)
    if isinstance(config, WebhookChannelConfig):
        from socialbot.watching.channels.webhook import WebhookChannel

        url = secret_from_env(config.url_env, channel=config.name)
        return WebhookChannel(config.name, url, format=config.format, timeout=config.timeout)
    from socialbot.watching.channels.email import EmailChannel

    password = (
        secret_from_env(config.password_env, channel=config.name) if config.password_env else ""
    )
    return EmailChannel(config, password=password)
