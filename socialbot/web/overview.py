"""The overview of one watch: volume and sentiment per topic over a span, open alerts, the
share of negative posts and what changed since yesterday. It refreshes itself by polling
`/watch/NAME/live.json`, which returns the same sections freshly rendered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from socialbot.config import Config, WatchConfig, parse_duration
from socialbot.report.html import alert_markers, sentiment_groups
from socialbot.report.svg import SENTIMENT_COLOURS, line_chart, stacked_bars
from socialbot.report.templating import chart
from socialbot.watching.series import last_bucket, load_series
from socialbot.watching.tables import ALL_TOPICS, TREND_BUCKETS
from socialbot.watching.views import list_alerts, what_and_where
from socialbot.web.rendering import render, render_fragment

SPANS = ("1d", "3d", "7d", "14d", "30d")
BUCKETS = ("15m", "1h", "6h", "1d")
MAX_SPAN = 366 * 86400.0
#: more buckets than this makes a chart no one can read and a slow page
MAX_BUCKETS = 2000
DAY = timedelta(days=1)
#: how often the open page asks for fresh figures (seconds)
REFRESH_SECONDS = 30


@dataclass(frozen=True, slots=True)
class View:
    """What the URL asked for, checked: `?span=7d&bucket=1h`."""

    span: str
    bucket: str
    span_seconds: float
    width: float


def watch_of(config: Config, name: str) -> WatchConfig:
    for w in config.watch:
        if w.name == name:
            return w
    raise HTTPException(404, f"There is no watch named {name!r}.")


def parse_view(config: Config, params: Any) -> View:
    span = str(params.get("span") or "7d")[:20]
    bucket = str(params.get("bucket") or "1h")[:20]
    try:
        seconds = parse_duration(span)
        width = parse_duration(bucket)
    except ValueError as exc:
        raise HTTPException(400, f"span / bucket: {exc}") from None
    stored = config.trends.bucket
    if seconds > MAX_SPAN:
        raise HTTPException(400, "span: at most 366 days")
    if width < stored or width % stored:
        raise HTTPException(400, f"bucket: must be a multiple of the stored bucket ({stored:g}s)")
    if seconds / width > MAX_BUCKETS:
        raise HTTPException(400, f"span / bucket: at most {MAX_BUCKETS} buckets; "
                                 "choose a wider bucket")
    return View(span, bucket, seconds, width)


def _share(negative: float, total: float) -> float | None:
    return negative / total if total else None


def _counts(conn: Connection, watch: str, start: datetime,
            end: datetime) -> dict[str, tuple[int, int]]:
    """topic -> (posts, negative posts) in [start, end), in one grouped query (the
    all-topics row under ALL_TOPICS); the trend buckets hold exactly these sums."""
    t = TREND_BUCKETS.c
    out: dict[str, tuple[int, int]] = {}
    for topic, sentiment, posts in conn.execute(
        select(t.topic, t.sentiment, func.sum(t.posts))
        .where(t.watch == watch, t.bucket_start >= start, t.bucket_start < end)
        .group_by(t.topic, t.sentiment)
    ):
        total, negative = out.get(topic, (0, 0))
        out[topic] = (total + int(posts), negative + (int(posts) if sentiment == "negative"
                                                      else 0))
    return out


def _change(today: tuple[int, int], before: tuple[int, int]) -> dict[str, Any]:
    """Posts and negative share in the last 24 hours against the 24 hours before."""
    return {"posts": today[0], "posts_before": before[0], "posts_change": today[0] - before[0],
            "share": _share(today[1], today[0]), "share_before": _share(before[1], before[0])}


def overview_sections(conn: Connection, config: Config, watch: WatchConfig,
                      view: View) -> dict[str, str]:
    """The overview's live sections, rendered: kpis, charts, alerts, topics."""
    newest = last_bucket(conn, watch.name)
    end = (newest + timedelta(seconds=config.trends.bucket) if newest
           else datetime.now(timezone.utc))
    start = end - timedelta(seconds=view.span_seconds)
    by_topic = load_series(conn, watch.name, start=start, end=end, width=view.width, by="topic")
    by_sentiment = load_series(conn, watch.name, start=start, end=end, width=view.width,
                               by="sentiment")
    every = list_alerts(conn, watch=watch.name, limit=1000)
    in_span = [a for a in every if a["started_at"] < end.isoformat()
               and (a["resolved_at"] or a["window"]["end"]) > start.isoformat()]
    open_alerts = [a for a in every if a["status"] == "open"]
    shown = [dict(a, what=what_and_where(a)) for a in every
             if a["status"] == "open" or a in in_span]
    markers = [m for _, m in alert_markers(in_span)]
    topics = [t.name for t in watch.topic] + ["other"]
    in_view = _counts(conn, watch.name, by_sentiment.start, end)
    total, negative = in_view.get(ALL_TOPICS, (0, 0))
    today = _counts(conn, watch.name, end - DAY, end)
    before = _counts(conn, watch.name, end - 2 * DAY, end - DAY)
    rows = [{"topic": topic, "span_posts": in_view[topic][0],
             "span_share": _share(in_view[topic][1], in_view[topic][0]),
             "day": _change(today.get(topic, (0, 0)), before.get(topic, (0, 0)))}
            for topic in topics if in_view.get(topic, (0, 0))[0]]
    context = {
        "watch": watch, "view": view, "start": start, "end": end,
        "total": total, "share": _share(negative, total),
        "day": _change(today.get(ALL_TOPICS, (0, 0)), before.get(ALL_TOPICS, (0, 0))),
        "open_alerts": open_alerts, "alerts": shown, "topics": rows,
        "volume_chart": chart(line_chart(
            by_topic.times, view.width,
            {t: by_topic.groups[t] for t in topics if t in by_topic.groups},
            markers=markers, title="posts per topic")),
        "sentiment_chart": chart(stacked_bars(
            by_sentiment.times, view.width, sentiment_groups(by_sentiment.groups),
            markers=markers, title="posts by sentiment", colours=SENTIMENT_COLOURS)),
    }
    return {name: render_fragment(template, **context) for name, template in (
        ("kpis", "overview_kpis.html"), ("charts", "charts.html"),  # the report draws the same
        ("alerts", "overview_alerts.html"), ("topics", "overview_topics.html"))}


def _sections(request: Request) -> tuple[WatchConfig, View, dict[str, str]]:
    config: Config = request.app.state.config
    watch = watch_of(config, request.path_params["name"])
    view = parse_view(config, request.query_params)
    with request.app.state.store.reading() as conn:
        return watch, view, overview_sections(conn, config, watch, view)


def page(request: Request) -> Response:
    watch, view, sections = _sections(request)
    return render(request, "overview.html", watch=watch, view=view, sections=sections,
                  spans=SPANS, buckets=BUCKETS, refresh=REFRESH_SECONDS)


def live(request: Request) -> Response:
    _, _, sections = _sections(request)
    return JSONResponse({"generated_at": datetime.now(timezone.utc).isoformat(),
                         "sections": sections})


def home(request: Request) -> Response:
    config: Config = request.app.state.config
    if not config.watch:
        raise HTTPException(404, "No watch is configured: add a [[watch]] to config.toml.")
    return RedirectResponse(f"/watch/{quote(config.watch[0].name, safe='')}", status_code=303)


ROUTES = [
    Route("/watch/{name}", page),
    Route("/watch/{name}/live.json", live),
]
