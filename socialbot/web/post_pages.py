"""Posts: search and filter the stored posts, newest first, a page at a time; and a CSV of
every post the filter matches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialbot.config import Config
from socialbot.domain import PLATFORMS
from socialbot.store.post_search import (
    SENTIMENTS,
    Cursor,
    FilterError,
    PostFilter,
    every_post,
    find_posts,
)
from socialbot.web.csv_export import csv_response
from socialbot.web.rendering import render

PAGE_SIZE = 50
#: the most rows one CSV export holds
MAX_EXPORT = 100_000
#: the query parameters a filter reads, in the order the form shows them
FIELDS = ("watch", "q", "topic", "sentiment", "platform", "author", "since", "until")


def _time(name: str, value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, f"{name}: not a date or time like 2026-11-01 or "
                                 "2026-11-01T12:00") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def parse_filter(config: Config, params: Any) -> PostFilter:
    """The posts filter in the query string, checked; a bad value is a 400 naming it."""
    got = {k: (str(params.get(k) or "").strip() or None) for k in FIELDS}
    for key, value in got.items():
        if value is not None and len(value) > 200:
            raise HTTPException(400, f"{key}: at most 200 characters")
    watches = {w.name: w for w in config.watch}
    if got["watch"] is not None and got["watch"] not in watches:
        raise HTTPException(404, f"There is no watch named {got['watch']!r}.")
    if got["sentiment"] is not None and got["sentiment"] not in SENTIMENTS:
        raise HTTPException(400, f"sentiment: use {', '.join(SENTIMENTS)}")
    if got["platform"] is not None and got["platform"] not in PLATFORMS:
        raise HTTPException(400, f"platform: use {', '.join(PLATFORMS)}")
    since = _time("since", got["since"]) if got["since"] else None
    until = _time("until", got["until"]) if got["until"] else None
    return PostFilter(watch=got["watch"], text=got["q"], topic=got["topic"],
                      sentiment=got["sentiment"], platform=got["platform"],
                      author=got["author"], since=since, until=until)


def _query_without_cursor(params: Any) -> dict[str, str]:
    return {k: str(params[k]) for k in FIELDS if params.get(k)}


def posts_page(request: Request) -> Response:
    config: Config = request.app.state.config
    f = parse_filter(config, request.query_params)
    raw_after = request.query_params.get("after")
    try:
        after = Cursor.decode(raw_after) if raw_after else None
    except FilterError as exc:
        raise HTTPException(400, str(exc)) from None
    with request.app.state.store.reading() as conn:
        page = find_posts(conn, f, after=after, limit=PAGE_SIZE)
    kept = _query_without_cursor(request.query_params)
    next_url = (f"/posts?{urlencode({**kept, 'after': page.next.encode()})}"
                if page.next is not None else None)
    topics = sorted({t.name for w in config.watch for t in w.topic} | {"other"})
    return render(request, "posts.html", posts=page.posts, next_url=next_url,
                  form=kept, topics=topics, sentiments=SENTIMENTS, platforms=PLATFORMS,
                  csv_url=f"/posts.csv?{urlencode(kept)}" if kept else "/posts.csv",
                  first_url=f"/posts?{urlencode(kept)}" if kept else "/posts",
                  paged=after is not None)


def posts_csv(request: Request) -> Response:
    f = parse_filter(request.app.state.config, request.query_params)
    header = ["platform", "post_id", "watch", "author", "created_at", "text", "url",
              "sentiment", "p_negative", "p_neutral", "p_positive", "topics"]
    with request.app.state.store.reading() as conn:
        rows = [[p["platform"], p["post_id"], p["watch"] or "", p["author"] or "",
                 p["created_at"].isoformat(), p["text"], p["url"] or "", p["sentiment"] or "",
                 _number(p["p_negative"]), _number(p["p_neutral"]), _number(p["p_positive"]),
                 ", ".join(p["topics"])]
                for p in every_post(conn, f, limit=MAX_EXPORT)]
    return csv_response("posts.csv", header, rows)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


ROUTES = [
    Route("/posts", posts_page),
    Route("/posts.csv", posts_csv),
]
