"""How an alert reads: its JSON form (stored, delivered, printed) and a plain-text summary."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from socialbot.health.text import is_source_alert, source_headline, source_summary
from socialbot.watching.tables import ALERTS


def alert_json(row: Any) -> dict[str, Any]:
    """An `alerts` row as the JSON every channel and `socialbot alerts --json` shows."""
    detail = json.loads(row.detail)
    # Alerts from before merging name only the rule that opened them.
    rules = detail.get("rules") or [
        {"rule": row.rule, "kind": row.kind, "topic": row.topic, "overlap": None}
    ]
    return {
        "id": row.id,
        "revision": row.revision,
        "rule": row.rule,
        "kind": row.kind,
        "watch": row.watch,
        "topic": row.topic or None,
        # every rule and topic of the incident: the opening rule first, then those that joined
        "rules": rules,
        "topics": list(dict.fromkeys(r["topic"] for r in rules if r["topic"])),
        "history": detail.get("history", []),
        "status": row.status,
        "started_at": row.started_at.isoformat(),
        "opened_at": detail.get("opened_at"),
        "window": {"start": row.window_start.isoformat(), "end": row.window_end.isoformat()},
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
        "observed": row.observed,
        "baseline": round(row.baseline, 3),
        "score": row.score,
        "peak": row.peak,
        "baseline_method": detail.get("method"),
        "share": detail.get("share"),
        "baseline_share": detail.get("baseline_share"),
        "total_posts": detail.get("total_posts"),
        "posts": detail.get("posts", []),
        "phrases": detail.get("phrases", []),
        # a read budget used up, in words (as `line`; kept for the webhook payload)
        "message": detail.get("message"),
        # source alerts (socialbot.health): which source, and the problem in one line
        "source": detail.get("source"),
        "platform": detail.get("platform"),
        "line": detail.get("line"),
        "resolution": detail.get("resolution"),
    }


def list_alerts(
    conn: Connection, *, watch: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Alerts newest first."""
    query = select(ALERTS).order_by(ALERTS.c.started_at.desc(), ALERTS.c.id.desc()).limit(limit)
    if watch is not None:
        query = query.where(ALERTS.c.watch == watch)
    return [alert_json(r) for r in conn.execute(query)]


WHAT = {
    "negative_spike": "negative posts spiking",
    "volume_spike": "post volume spiking",
    "threshold": "negative share above threshold",
}


def rule_names(alert: dict[str, Any]) -> list[str]:
    """The names of every rule of the alert, the opening one first."""
    return [r["rule"] for r in alert.get("rules") or [alert]]


def what_and_where(alert: dict[str, Any]) -> str:
    """What rose about which topics, every rule of the alert named: "negative posts
    spiking about luggage, booking" (rules of another kind follow after a ";")."""
    if is_source_alert(alert):
        return source_headline(alert).split("] ", 1)[-1]
    rules = alert.get("rules") or [alert]
    parts = []
    for kind in dict.fromkeys(r["kind"] for r in rules):
        topics = list(dict.fromkeys(r["topic"] for r in rules if r["kind"] == kind and r["topic"]))
        about = f" about {', '.join(topics)}" if topics else ""
        parts.append(WHAT.get(kind, kind) + about)
    return "; ".join(parts)


def headline(alert: dict[str, Any]) -> str:
    """One line: what, where (every topic of the incident), how far above normal."""
    if is_source_alert(alert):
        return source_headline(alert)
    event = alert.get("event") or alert["status"]
    prefix = {"resolved": "RESOLVED", "escalated": "ESCALATED", "updated": "UPDATED"}.get(
        event, "ALERT"
    )
    if alert["kind"] == "threshold":
        size = f"{alert['share']:.0%} negative (threshold {alert['baseline_share']:.0%})"
    else:
        size = f"{alert['observed']:.0f} posts vs ~{alert['baseline']:.1f} expected"
    return f"[{prefix}] {alert['watch']}: {what_and_where(alert)}: {size}"


def text_summary(alert: dict[str, Any]) -> str:
    """The plain-text body used by the console and email channels."""
    if is_source_alert(alert):
        return source_summary(alert)
    lines = [headline(alert), ""]
    lines.append(f"rule:     {alert['rule']} ({alert['kind']})")
    for r in (alert.get("rules") or [])[1:]:
        share = f", posts overlap {r['overlap']:.0%}" if r.get("overlap") is not None else ""
        lines.append(
            f"joined:   {r['rule']} ({r['kind']}) from {r.get('since', '?')}: "
            f"{r['observed']:.0f} posts vs ~{r['baseline']:.1f} expected{share}"
        )
    if alert.get("opened_at"):
        lines.append(f"raised:   {alert['opened_at']} (first anomalous window from "
                     f"{alert['started_at']})")
    lines.append(f"window:   {alert['window']['start']} .. {alert['window']['end']} (strongest)")
    if alert.get("resolved_at"):
        lines.append(f"resolved: {alert['resolved_at']}")
    lines.append(
        f"observed: {alert['observed']:.0f}   baseline: {alert['baseline']:.2f}   "
        f"score: {alert['score']:.2e}"
    )
    if alert.get("share") is not None and alert["kind"] != "volume_spike":
        base = alert.get("baseline_share")
        base_text = f"{base:.0%}" if base is not None else "n/a"
        lines.append(f"negative share: {alert['share']:.0%} (baseline {base_text})")
    lines.append(f"baseline: {alert['baseline_method']}")
    if alert["phrases"]:
        lines.append("")
        lines.append(
            "rising phrases: "
            + ", ".join(
                f'"{p["phrase"]}" ({p["window_posts"]} vs {p["baseline_posts"]})'
                for p in alert["phrases"]
            )
        )
    if len(alert.get("history") or []) > 1:
        lines.append("")
        lines.append("history:")
        lines.extend(f"  {h['at']}  {h['what']}" for h in alert["history"])
    if alert["posts"]:
        lines.append("")
        lines.append("representative posts:")
        for p in alert["posts"]:
            lines.append(f"  - @{p['author']} ({p['platform']}): {p['text']}")
            if p.get("url"):
                lines.append(f"    {p['url']}")
    return "\n".join(lines)
