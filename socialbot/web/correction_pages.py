"""Correcting what the classifier said about a post, in the browser: the queue's `c` form
(sentiment, needs a reply, topics) stored as labels by the same code (socialbot.moderation
.corrections), with the logged-in moderator as the labeller. Viewers may look, not label."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import exists, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from socialbot.config import Config
from socialbot.domain import PLATFORMS
from socialbot.moderation.corrections import Correction, record_correction, starting_point
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.store.labels import NEED_VALUES, SENTIMENT_VALUES, LabelError, model_said
from socialbot.store.types import utcnow
from socialbot.store.web_users import WebUser
from socialbot.web.auth import checked_form, require_moderator
from socialbot.web.rendering import render

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PostOnScreen:
    """The post the form is about, and what the form needs to know of it."""

    platform: str
    post_id: str
    text: str
    author: str | None
    watch: str
    topics: list[str]
    #: a draft was made for it: its labels describe the drafted sample, as the queue's do
    drafted: bool


def _post(config: Config, store: Store, platform: str, post_id: str) -> PostOnScreen:
    if platform not in PLATFORMS or not post_id or len(post_id) > 64:
        raise HTTPException(404, "There is no such post.")
    with store.reading() as conn:
        row = conn.execute(
            select(POSTS.c.id, POSTS.c.text, POSTS.c.author, POSTS.c.watch,
                   exists().where(DRAFTS.c.post_pk == POSTS.c.id).label("drafted"))
            .where(POSTS.c.platform == platform, POSTS.c.post_id == post_id)
        ).one_or_none()
    if row is None:
        raise HTTPException(404, "There is no such post (it may have been erased).")
    watch = next((w for w in config.watch if w.name == row.watch), None) or (
        config.watch[0] if config.watch else None)
    if watch is None:
        raise HTTPException(404, "This post belongs to no configured watch.")
    return PostOnScreen(platform, post_id, row.text, row.author, watch.name,
                        [t.name for t in watch.topic], bool(row.drafted))


def _form_page(request: Request, post: PostOnScreen, notice: str = "") -> Response:
    store: Store = request.app.state.store
    with store.reading() as conn:
        said = model_said(conn, post.platform, post.post_id)
        start = starting_point(conn, post.platform, post.post_id)
    model = ("not classified yet" if said is None or said.model_version is None else
             f"{said.sentiment}, needs a reply: {said.need or 'unknown'}, topics "
             f"{said.topics} ({said.model_version})")
    return render(request, "correct.html", post=post, start=start, model=model,
                  sentiments=SENTIMENT_VALUES, needs=NEED_VALUES, notice=notice)


async def correct_page(request: Request) -> Response:
    require_moderator(request, doing="label posts")
    post = await run_in_threadpool(_post, request.app.state.config, request.app.state.store,
                                   request.path_params["platform"],
                                   request.path_params["post_id"])
    saved = request.query_params.get("saved") == "1"
    return await run_in_threadpool(
        _form_page, request, post,
        "Saved: these labels now count for this post." if saved else "")


def _correction(form: FormData) -> Correction:
    sentiment, need = form.get("sentiment"), form.get("need")
    topics = tuple(t for t in form.getlist("topic") if isinstance(t, str))
    if not isinstance(sentiment, str) or not isinstance(need, str):
        raise HTTPException(400, "Choose a sentiment and whether the post needs a reply.")
    return Correction(sentiment, need, topics)


def _save(store: Store, user: WebUser, post: PostOnScreen, correction: Correction) -> None:
    try:
        with store.transaction() as conn:
            record_correction(conn, platform=post.platform, post_id=post.post_id,
                              correction=correction, known_topics=post.topics,
                              moderator=user.name, now=utcnow(), source="web",
                              sample="drafted" if post.drafted else "chosen")
    except LabelError as exc:
        raise HTTPException(400, str(exc)) from None
    logger.info("%s labelled %s:%s %s / %s / %s in the dashboard", user.name, post.platform,
                post.post_id, correction.sentiment, correction.need,
                ",".join(correction.topics) or "other")


async def save_correction(request: Request) -> Response:
    user = require_moderator(request, doing="label posts")
    form = await checked_form(request)
    post = await run_in_threadpool(_post, request.app.state.config, request.app.state.store,
                                   request.path_params["platform"],
                                   request.path_params["post_id"])
    await run_in_threadpool(_save, request.app.state.store, user, post, _correction(form))
    return RedirectResponse(request.url_for("correct", platform=post.platform,
                                            post_id=post.post_id).path + "?saved=1",
                            status_code=303)


ROUTES = [
    Route("/posts/{platform}/{post_id}/correct", correct_page, name="correct"),
    Route("/posts/{platform}/{post_id}/correct", save_correction, methods=["POST"]),
]
