"""Logging in and out, and the health check (the one page served without a login)."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from socialbot.store import Store
from socialbot.store.web_users import close_session
from socialbot.web.auth import (
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    LoginRefused,
    checked_form,
    log_in,
    new_prelogin,
)
from socialbot.web.rendering import render

logger = logging.getLogger(__name__)


def login_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login" if here == "/" else f"/login?next={quote(here, safe='')}"


def _safe_next(value: object) -> str:
    """Only a path on this site: `next=https://evil.example` or `//evil` would send the
    user elsewhere right after they typed their password."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc or "\\" in value else value


def _login_page(request: Request, *, message: str = "", status_code: int = 200,
                name: str = "") -> Response:
    token = new_prelogin(request)
    response = render(request, "login.html", status_code=status_code, message=message,
                      name=name, next=_safe_next(request.query_params.get("next")))
    request.app.state.cookies.set(request, response, PRELOGIN_COOKIE, token, max_age=3600)
    return response


async def login_form(request: Request) -> Response:
    return _login_page(request)


async def login_submit(request: Request) -> Response:
    # the form's token is bound to the pre-login cookie the login page set
    request.state.prelogin = request.cookies.get(PRELOGIN_COOKIE, "")
    form = await checked_form(request)
    name, password = str(form.get("name", ""))[:100], str(form.get("password", ""))[:1000]
    store: Store = request.app.state.store
    try:
        user, token = await run_in_threadpool(log_in, store, request, name, password)
    except LoginRefused as exc:
        logger.info("refused web login for %r: %s", name, exc)
        return _login_page(request, message=str(exc), status_code=exc.status_code, name=name)
    logger.info("web login: %s (%s)", user.name, user.role)
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # whatever session the browser had before is ended, not reused
        await run_in_threadpool(close_session, store, old)
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    request.app.state.cookies.set(request, response, SESSION_COOKIE, token,
                                  max_age=int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(PRELOGIN_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    await checked_form(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(close_session, request.app.state.store, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def healthz(request: Request) -> Response:
    """200 when the store answers, 503 when it does not (for a proxy or an orchestrator)."""
    store: Store = request.app.state.store
    try:
        with store.reading() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "unhealthy"
        logger.warning("health check: the store does not answer: %s", exc)
        return PlainTextResponse("store unreachable", status_code=503)
    return PlainTextResponse("ok")


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/healthz", healthz),
]
