"""The webhook channel: a JSON POST, either a Slack incoming-webhook message or the alert itself."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from socialbot.health.text import is_source_alert, source_slack_body
from socialbot.watching.channels import DeliveryError
from socialbot.watching.outbox import Delivery
from socialbot.watching.views import headline, rule_names


def slack_body(alert: dict[str, Any]) -> dict[str, Any]:
    """`{"text", "blocks"}` as a Slack incoming webhook accepts (text is the fallback)."""
    if is_source_alert(alert):
        return source_slack_body(alert)
    fields = [
        f"*Rules:* {', '.join(rule_names(alert))}",
        f"*Window:* {alert['window']['start']} .. {alert['window']['end']}",
        f"*Observed:* {alert['observed']:.0f}   *Baseline:* {alert['baseline']:.2f}",
        f"*Score:* {alert['score']:.2e}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline(alert)[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"Baseline: {alert['baseline_method']}"[:2000]}
            ],
        },
    ]
    if alert["phrases"]:
        rising = ", ".join(f"`{p['phrase']}`" for p in alert["phrases"])
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Rising:* {rising}"}}
        )
    for post in alert["posts"][:3]:
        link = f" <{post['url']}|open>" if post.get("url") else ""
        text = f"> {post['text'][:280]}\n@{post['author']} on {post['platform']}{link}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return {"text": headline(alert), "blocks": blocks}


class WebhookChannel:
    """POSTs JSON; any non-2xx answer or network error is a DeliveryError (retried).

    Delivery is at least once: a retry carries the same `Idempotency-Key` (and
    `X-Socialbot-Delivery`) header, the delivery id, for the receiver to dedupe on.
    """

    def __init__(self, name: str, url: str, *, format: str = "json", timeout: float = 10.0) -> None:
        self.name = name
        self._url = url
        self.format = format
        self.timeout = timeout

    def body(self, delivery: Delivery) -> dict[str, Any]:
        if self.format == "slack":
            return slack_body(delivery.payload)
        return {"delivery_id": delivery.delivery_id, "alert": delivery.payload}

    def send(self, delivery: Delivery) -> None:
        data = json.dumps(self.body(delivery)).encode()
        request = urllib.request.Request(
            self._url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "socialbot-alerts",
                "X-Socialbot-Delivery": delivery.delivery_id,
                # The same value under the standard name, so a receiver's ordinary
                # idempotency handling drops the duplicate an at-least-once retry sends.
                "Idempotency-Key": delivery.delivery_id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"webhook answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"webhook unreachable: {reason}") from None
