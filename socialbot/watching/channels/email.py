"""The email channel: plain text + HTML over SMTP (STARTTLS, SSL or plain), via smtplib."""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from socialbot.config import EmailChannelConfig
from socialbot.health.text import is_source_alert, source_html
from socialbot.watching.channels import DeliveryError
from socialbot.watching.outbox import Delivery
from socialbot.watching.views import headline, rule_names, text_summary


def html_body(alert: dict[str, Any]) -> str:
    """A small HTML rendering of the alert (no external assets)."""
    if is_source_alert(alert):
        return source_html(alert)
    e = html.escape
    rows = "".join(
        f"<tr><th align='left'>{e(k)}</th><td>{e(str(v))}</td></tr>"
        for k, v in (
            ("rules", ", ".join(rule_names(alert))),
            ("window", f"{alert['window']['start']} .. {alert['window']['end']}"),
            ("observed", f"{alert['observed']:.0f}"),
            ("baseline", f"{alert['baseline']:.2f}"),
            ("score", f"{alert['score']:.2e}"),
            ("how", alert["baseline_method"]),
        )
    )
    phrases = ", ".join(f"<code>{e(p['phrase'])}</code>" for p in alert["phrases"])
    posts = "".join(
        f"<li>{e(p['text'])} — @{e(p['author'] or '')}"
        + (f" <a href='{e(p['url'])}'>link</a>" if p.get("url") else "")
        + "</li>"
        for p in alert["posts"]
    )
    return (
        f"<html><body><h2>{e(headline(alert))}</h2><table>{rows}</table>"
        f"<p><b>Rising phrases:</b> {phrases or 'none'}</p><ul>{posts}</ul></body></html>"
    )


class EmailChannel:
    """Sends one multipart message per delivery; the Message-ID is the delivery id."""

    def __init__(self, config: EmailChannelConfig, *, password: str = "") -> None:
        self.name = config.name
        self.config = config
        self._password = password

    def message(self, delivery: Delivery) -> EmailMessage:
        alert = delivery.payload
        msg = EmailMessage()
        msg["Subject"] = headline(alert)
        msg["From"] = self.config.sender
        msg["To"] = ", ".join(self.config.to)
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = f"<{delivery.delivery_id}@socialbot>"
        msg.set_content(text_summary(alert))
        msg.add_alternative(html_body(alert), subtype="html")
        return msg

    def send(self, delivery: Delivery) -> None:
        cfg = self.config
        try:
            if cfg.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            with smtp:
                if cfg.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.username:
                    smtp.login(cfg.username, self._password)
                smtp.send_message(self.message(delivery))
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"SMTP {cfg.host}:{cfg.port}: {type(exc).__name__}: {exc}"
            ) from None
