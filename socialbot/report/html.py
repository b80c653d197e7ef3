"""`socialbot report`: one HTML file with everything inline (charts are SVG made here),
rendered from the templates in socialbot/report/templates."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, func, select

from socialbot.config import Config, WatchConfig
from socialbot.health.text import is_source_alert, source_headline
from socialbot.report.model_card import read_accuracy
from socialbot.report.own_accuracy import own_accuracy_section
from socialbot.report.spending import spending_section
from socialbot.report.svg import SENTIMENT_COLOURS, Marker, line_chart, stacked_bars
from socialbot.report.templating import chart, environment
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
from socialbot.watching.series import last_bucket, load_series
from socialbot.watching.views import list_alerts, rule_names, what_and_where

logger = logging.getLogger(__name__)

#: only these become links: a post's url comes from the platform or a replayed file,
#: and a `javascript:` or `data:` one would run in the reader's browser
_LINKABLE = re.compile(r"https?://", re.IGNORECASE)

_env = environment()
_env.tests["web_link"] = lambda url: bool(url) and _LINKABLE.match(url) is not None


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
    alerts = [
        a
        for a in list_alerts(conn, watch=watch.name, limit=1000)
        if a["started_at"] < end.isoformat()
        and (a["resolved_at"] or a["window"]["end"]) > start.isoformat()
    ]
    markers = alert_markers(alerts)
    every = [m for _, m in markers]
    return _env.get_template("report.html").render(
        watch=watch,
        brand=watch.brand or watch.name,
        start=start,
        end=end,
        width=width,
        total=int(by_sentiment.total().sum()),
        negative=int(by_sentiment.groups.get("negative", by_sentiment.total() * 0).sum()),
        alerts=[_alert_view(a) for a in alerts],
        volume_chart=chart(line_chart(
            by_topic.times, width,
            {t: by_topic.groups[t] for t in topics if t in by_topic.groups},
            markers=every, title="posts per topic")),
        sentiment_chart=chart(stacked_bars(
            by_sentiment.times, width, sentiment_groups(by_sentiment.groups),
            markers=every, title="posts by sentiment", colours=SENTIMENT_COLOURS)),
        spending=spending_section(conn, config, watch),
        topics=[
            view
            for topic in topics
            if (view := _topic_view(conn, watch.name, topic, markers, start, end, width))
        ],
        # the watch's own: each watch may be classified by a model of its own
        versions=[
            v for (v,) in conn.execute(
                select(PREDICTIONS.c.model_version).distinct()
                .join(POSTS, POSTS.c.id == PREDICTIONS.c.post_pk)
                .where(func.coalesce(PREDICTIONS.c.watch, POSTS.c.watch, "") == watch.name)
                .limit(5))
        ],
        # the watch's model's own card, else the shipped one
        card=read_accuracy(config.classifier_folder(watch.name)),
        own_accuracy=own_accuracy_section(conn, config, watch),
        now=datetime.now(timezone.utc),
    )


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


def sentiment_groups(groups: dict[str, Any]) -> dict[str, Any]:
    """The sentiment series in the order the charts stack them."""
    return {s: groups[s] for s in ("negative", "neutral", "positive") if s in groups}


def _alert_view(alert: dict[str, Any]) -> dict[str, Any]:
    if is_source_alert(alert):  # about a source, not about posts
        return {"alert": alert, "about_source": True, "headline": source_headline(alert)}
    return {"alert": alert, "about_source": False, "rules": " + ".join(rule_names(alert)),
            "what": what_and_where(alert)}


def _topic_view(
    conn: Connection,
    watch: str,
    topic: str,
    markers: list[tuple[set[str] | None, Marker]],
    start: datetime,
    end: datetime,
    width: float,
) -> dict[str, Any] | None:
    """A topic's counts, its sentiment chart and its top posts; None if nobody spoke of it."""
    series = load_series(conn, watch, start=start, end=end, width=width, topic=topic,
                         by="sentiment")
    count = int(series.total().sum())
    if not count:
        return None
    mine = [m for t, m in markers if t is None or topic in t]
    return {
        "name": topic,
        "count": count,
        "negative": int(series.groups.get("negative", series.total() * 0).sum()),
        "chart": chart(stacked_bars(
            series.times, width, sentiment_groups(series.groups), markers=mine,
            title=f"{topic} by sentiment", colours=SENTIMENT_COLOURS)),
        "posts": _top_posts(conn, watch, topic, start, end),
    }


def _top_posts(
    conn: Connection, watch: str, topic: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The topic's three most negative and two most positive posts the model was sure of."""
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
    return [
        {"text": r.text, "author": r.author, "platform": r.platform, "url": r.url,
         "created_at": r.created_at.isoformat(), "tone": tone}
        for r, tone in rows
    ]
