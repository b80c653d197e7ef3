"""`socialbot report`: one HTML file with everything inline (charts are SVG made here)."""

from __future__ import annotations

import html
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, func, select

from socialbot.config import Config, WatchConfig
from socialbot.health.text import is_source_alert, source_headline
from socialbot.report.model_card import ModelAccuracy, read_accuracy
from socialbot.report.own_accuracy import own_accuracy_section
from socialbot.report.spending import spending_section
from socialbot.report.svg import SENTIMENT_COLOURS, Marker, line_chart, stacked_bars
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
from socialbot.watching.series import last_bucket, load_series
from socialbot.watching.views import list_alerts, rule_names, what_and_where

logger = logging.getLogger(__name__)
e = html.escape

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
 max-width:980px;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:4px}
h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;width:100%;font-size:14px}
td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
.kpi{display:inline-block;margin-right:28px}.kpi b{font-size:22px;display:block}
.post{margin:4px 0;padding:6px 8px;background:#fafafa;border-left:3px solid #ccc;font-size:14px}
.post.neg{border-color:#d62728}.post.pos{border-color:#2ca02c}.meta{color:#777;font-size:12px}
.alert{border:1px solid #f1b0b0;background:#fff6f6;padding:10px 12px;margin:10px 0;
 border-radius:4px}
code{background:#f0f0f0;padding:0 3px;border-radius:3px}.muted{color:#777}
"""


def build_report(
    conn: Connection, config: Config, watch: WatchConfig, *, since: float, width: float
) -> str:
    """The whole report for `watch` over the `since` seconds up to its newest counted post."""
    newest = last_bucket(conn, watch.name)
    end = newest + timedelta(seconds=config.trends.bucket) if newest else datetime.now(timezone.utc)
    start = end - timedelta(seconds=since)
    topics = [t.name for t in watch.topic] + ["other"]
    by_topic = load_series(conn, watch.name, start=start, end=end, width=width, by="topic")
    by_sentiment = load_series(conn, watch.name, start=start, end=end, width=width, by="sentiment")
    times = by_topic.times
    alerts = [
        a
        for a in list_alerts(conn, watch=watch.name, limit=1000)
        if a["started_at"] < end.isoformat()
        and (a["resolved_at"] or a["window"]["end"]) > start.isoformat()
    ]
    markers = alert_markers(alerts)
    every = [m for _, m in markers]
    total = int(by_sentiment.total().sum())
    negative = int(by_sentiment.groups.get("negative", by_sentiment.total() * 0).sum())
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>socialbot report: {e(watch.brand or watch.name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{e(watch.brand or watch.name)}: what people said</h1>",
        f"<p class='sub'>watch <code>{e(watch.name)}</code>, {start:%Y-%m-%d %H:%M} to "
        f"{end:%Y-%m-%d %H:%M} UTC, buckets of {width / 3600:g}h</p>",
        "<div>",
        _kpi("posts", f"{total:,}"),
        _kpi("negative", f"{negative / total:.0%}" if total else "n/a"),
        _kpi("alerts", str(len(alerts))),
        "</div>",
        "<h2>Volume per topic</h2>",
        line_chart(
            times,
            width,
            {t: by_topic.groups[t] for t in topics if t in by_topic.groups},
            markers=every,
            title="posts per topic",
        ),
        "<p class='muted'>A post about two topics counts in both. Shaded bands are alerts.</p>",
        "<h2>Sentiment over time</h2>",
        stacked_bars(
            times,
            width,
            sentiment_groups(by_sentiment.groups),
            markers=every,
            title="posts by sentiment",
            colours=SENTIMENT_COLOURS,
        ),
        "<h2>Alerts</h2>",
        _alerts_section(alerts),
        spending_section(conn, config, watch),
        "<h2>Topics</h2>",
    ]
    for topic in topics:
        series = load_series(
            conn, watch.name, start=start, end=end, width=width, topic=topic, by="sentiment"
        )
        count = int(series.total().sum())
        if not count:
            continue
        neg = int(series.groups.get("negative", series.total() * 0).sum())
        parts.append(
            f"<h3>{e(topic)} <span class='muted'>({count:,} posts, "
            f"{neg / count:.0%} negative)</span></h3>"
        )
        mine = [m for t, m in markers if t is None or topic in t]
        parts.append(
            stacked_bars(
                series.times,
                width,
                sentiment_groups(series.groups),
                markers=mine,
                title=f"{topic} by sentiment",
                colours=SENTIMENT_COLOURS,
            )
        )
        parts.append(_top_posts(conn, watch.name, topic, start, end))
    parts.append("<h2>How far to trust the sentiment</h2>")
    model = config.classifier.model  # the configured model's own card, else the shipped one
    card_folder = config.resolve_path(model) if model else None
    parts.append(_accuracy_section(read_accuracy(card_folder), conn))
    parts.append(own_accuracy_section(conn, config, watch))
    parts.append(
        f"<p class='muted'>Generated by socialbot at "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.</p>"
        "</body></html>"
    )
    return "\n".join(parts)


def alert_markers(alerts: list[dict[str, Any]]) -> list[tuple[set[str] | None, Marker]]:
    """A chart band per alert about posts, with the topics whose charts it marks (None: all,
    for a watch-wide rule). The web dashboard draws the same bands."""
    return [
        (
            None if any(not r["topic"] for r in a["rules"]) else set(a["topics"]),
            Marker(
                datetime.fromisoformat(a["started_at"]),
                datetime.fromisoformat(a["resolved_at"] or a["window"]["end"]),
                f"#{a['id']} {' + '.join(rule_names(a))}",
            ),
        )
        for a in alerts
        if not is_source_alert(a)
    ]


def _kpi(label: str, value: str) -> str:
    return f"<span class='kpi'><b>{e(value)}</b>{e(label)}</span>"


def sentiment_groups(groups: dict[str, Any]) -> dict[str, Any]:
    """The sentiment series in the order the charts stack them."""
    return {s: groups[s] for s in ("negative", "neutral", "positive") if s in groups}


def _alerts_section(alerts: list[dict[str, Any]]) -> str:
    if not alerts:
        return "<p>No alert in this period.</p>"
    out = []
    for a in alerts:
        if is_source_alert(a):  # about a source, not about posts
            out.append(f"<div class='alert'><b>#{a['id']} {e(a['rule'])}</b> &mdash; "
                       f"{e(a['status'])}<br>{e(source_headline(a))}</div>")
            continue
        topics = ", ".join(f"<b>{e(t)}</b>" for t in a["topics"])
        topic = f" on {topics}" if topics else ""
        joined = "".join(
            f"<br><span class='muted'>joined {e(str(r.get('since', ''))[:16])}: "
            f"{e(r['rule'])}, {r['observed']:.0f} posts vs {r['baseline']:.1f} expected"
            + (f", posts overlap {r['overlap']:.0%}" if r.get("overlap") is not None else "")
            + "</span>"
            for r in a["rules"][1:]
        )
        score = (
            f"{a['score']:.0%} negative" if a["kind"] == "threshold" else f"p = {a['score']:.1e}"
        )
        phrases = (
            ", ".join(
                f"<code>{e(p['phrase'])}</code> ({p['window_posts']} vs {p['baseline_posts']})"
                for p in a["phrases"]
            )
            or "none stood out"
        )
        posts = "".join(_post_html(p, "neg") for p in a["posts"][:3])
        out.append(
            f"<div class='alert'><b>#{a['id']} {e(' + '.join(rule_names(a)))}</b>{topic} "
            f"&mdash; {e(a['status'])}<br>{e(what_and_where(a))}"
            f"<br>raised {e((a['opened_at'] or a['started_at'])[:16])}, "
            f"peak window {e(a['window']['start'][11:16])}"
            f"&ndash;{e(a['window']['end'][11:16])}: <b>{a['observed']:.0f}</b> posts vs "
            f"{a['baseline']:.1f} expected ({score})"
            f"<br><span class='muted'>{e(a['baseline_method'] or '')}</span>{joined}"
            f"<br>Rising: {phrases}{posts}</div>"
        )
    return "\n".join(out)


#: only these become links: a post's url comes from the platform or a replayed file,
#: and a `javascript:` or `data:` one would run in the reader's browser
_LINKABLE = re.compile(r"https?://", re.IGNORECASE)
_SHOWN_URL_CHARS = 120


def _url_html(url: str | None) -> str:
    if not url:
        return ""
    if _LINKABLE.match(url):
        return f" &middot; <a href='{e(url)}'>open</a>"
    shown = url if len(url) <= _SHOWN_URL_CHARS else url[:_SHOWN_URL_CHARS] + "…"
    return f" &middot; <span class='muted'>not a web link: {e(shown)}</span>"


def _post_html(p: dict[str, Any], tone: str) -> str:
    link = _url_html(p.get("url"))
    return (
        f"<div class='post {tone}'>{e(p['text'])}<div class='meta'>@{e(p.get('author') or '?')} on "
        f"{e(p['platform'])}, {e(str(p['created_at'])[:16])}{link}</div></div>"
    )


def _top_posts(conn: Connection, watch: str, topic: str, start: datetime, end: datetime) -> str:
    base = (
        select(
            POSTS.c.platform,
            POSTS.c.author,
            POSTS.c.text,
            POSTS.c.url,
            POSTS.c.created_at,
            PREDICTIONS.c.p_negative,
            PREDICTIONS.c.p_positive,
        )
        .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
        .join(POST_TOPICS, (POST_TOPICS.c.post_pk == POSTS.c.id) & (POST_TOPICS.c.topic == topic))
        .where(POSTS.c.created_at >= start, POSTS.c.created_at < end)
        .where(func.coalesce(PREDICTIONS.c.watch, POSTS.c.watch, "") == watch)
    )
    worst = conn.execute(base.order_by(PREDICTIONS.c.p_negative.desc(), POSTS.c.id).limit(3)).all()
    best = conn.execute(base.order_by(PREDICTIONS.c.p_positive.desc(), POSTS.c.id).limit(2)).all()
    rows = [(r, "neg") for r in worst if r.p_negative >= 0.5] + [
        (r, "pos") for r in best if r.p_positive >= 0.5
    ]
    if not rows:
        return ""
    return "".join(
        _post_html(
            {
                "text": r.text,
                "author": r.author,
                "platform": r.platform,
                "url": r.url,
                "created_at": r.created_at.isoformat(),
            },
            tone,
        )
        for r, tone in rows
    )


def _accuracy_section(acc: ModelAccuracy, conn: Connection) -> str:
    versions = [v for (v,) in conn.execute(select(PREDICTIONS.c.model_version).distinct().limit(5))]
    used = (
        f"<p>Predictions here come from: {', '.join(f'<code>{e(v)}</code>' for v in versions)}.</p>"
        if versions
        else ""
    )
    if not acc.measured:
        return (
            used
            + "<p><b>Classifier accuracy: not measured</b> "
            "(no model card with figures was found).</p>"
        )
    if acc.rows:
        body = "".join(
            f"<tr><td>{e(what)}</td>"
            + "".join(f"<td>{e(k)} = {v:.3f}</td>" for k, v in sorted(m.items()))
            + "</tr>"
            for what, m in acc.rows
        )
        return used + f"<table>{body}</table><p class='muted'>from {e(acc.source or '')}</p>"
    quoted = "".join(f"<li>{e(line)}</li>" for line in acc.quoted)
    return used + f"<ul>{quoted}</ul><p class='muted'>quoted from {e(acc.source or '')}</p>"
