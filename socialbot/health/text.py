"""How a source alert reads: headline, plain text, Slack blocks and HTML.

The channels render every alert; these take over for the kinds that are about a
source rather than about what people say (they have no posts or phrases): a source
failing or silent, one stopped by its monthly read budget (socialbot.metering), and
the channel test.
Nothing here imports the monitoring package, which imports this.
"""

from __future__ import annotations

import html
from typing import Any

FAILING = "source_failing"
SILENT = "source_silent"
#: the message `socialbot doctor --send-test` sends through every channel
CHANNEL_TEST = "channel_test"
#: raised by socialbot.metering.budget_alert when a source's month of reads is used up
READ_BUDGET = "read_budget"
SOURCE_ALERT_KINDS = frozenset({FAILING, SILENT, CHANNEL_TEST, READ_BUDGET})

_WHAT = {FAILING: "failing", SILENT: "silent", CHANNEL_TEST: "test",
         READ_BUDGET: "out of read budget"}
#: what to look at next, per kind
_NEXT = {READ_BUDGET: "see `socialbot status` for what each source has read this month"}
_PREFIX = {"resolved": "RESOLVED", "updated": "UPDATED", "test": "TEST"}


def is_source_alert(alert: dict[str, Any]) -> bool:
    return alert.get("kind") in SOURCE_ALERT_KINDS


def source_headline(alert: dict[str, Any]) -> str:
    """`[ALERT] source x-acme (twitter) failing: X refused ...` in one line."""
    event = alert.get("event") or alert.get("status") or ""
    prefix = _PREFIX.get(event, "ALERT")
    if alert["kind"] == CHANNEL_TEST:
        return f"[TEST] socialbot: {alert.get('line') or 'test message'}"
    said = alert.get("resolution") if alert.get("status") == "resolved" else None
    platform = f" ({alert['platform']})" if alert.get("platform") else ""
    return (f"[{prefix}] source {alert.get('source')}{platform} {_WHAT[alert['kind']]}: "
            f"{said or alert.get('line') or ''}")


def source_summary(alert: dict[str, Any]) -> str:
    """The plain-text body (console and e-mail): the problem, since when, what to do."""
    lines = [source_headline(alert), ""]
    if alert["kind"] == CHANNEL_TEST:
        return "\n".join([*lines, "Nothing is wrong: this checks that alerts reach this channel."])
    platform = f" ({alert['platform']})" if alert.get("platform") else ""
    lines.append(f"source:   {alert.get('source')}{platform}")
    lines.append(f"problem:  {alert.get('line')}")
    lines.append(f"since:    {alert.get('started_at')}")
    if alert.get("resolved_at"):
        lines.append(f"resolved: {alert['resolved_at']}: {alert.get('resolution') or ''}")
    if alert.get("baseline_method"):
        lines.append(f"how:      {alert['baseline_method']}")
    for entry in alert.get("history") or []:
        lines.append(f"  {entry['at']}  {entry['what']}")
    lines.append("")
    lines.append(_NEXT.get(alert["kind"], "see `socialbot status`; `socialbot doctor "
                                          "--online` checks the credentials"))
    return "\n".join(lines)


def source_slack_body(alert: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: the headline, then the details as text."""
    text = source_headline(alert)
    details = source_summary(alert).split("\n", 2)[-1]
    return {
        "text": text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": text[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": details[:2900]}},
        ],
    }


def source_html(alert: dict[str, Any]) -> str:
    e = html.escape
    body = e(source_summary(alert).split("\n", 2)[-1])
    return f"<html><body><h2>{e(source_headline(alert))}</h2><pre>{body}</pre></body></html>"
