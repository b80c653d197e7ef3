"""The Starlette application: its routes, the login wall in front of them, error pages."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from socialbot.config import Config
from socialbot.store import Store
from socialbot.store.web_users import session_user
from socialbot.web import (
    alert_pages,
    correction_pages,
    draft_pages,
    login,
    model_page,
    overview,
    post_pages,
)
from socialbot.web.auth import SESSION_COOKIE, CookiePolicy
from socialbot.web.rendering import STATIC, render

logger = logging.getLogger(__name__)

#: served without a login
PUBLIC = ("/login", "/healthz", "/static/")
#: a query string longer than this is refused before any work (no filter needs more)
MAX_QUERY = 4096

#: what browsers may load and run: only this site's own files, never inline script
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class LoginWall(BaseHTTPMiddleware):
    """Every path but PUBLIC needs a live session; the user goes on `request.state.user`."""

    async def dispatch(self, request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await self._guarded(request, call_next)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def _guarded(self, request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if len(request.scope.get("query_string", b"")) > MAX_QUERY:
            return PlainTextResponse("This address is too long.", status_code=414)
        path = request.url.path
        request.state.user = None
        token = request.cookies.get(SESSION_COOKIE)
        if token and len(token) < 200:
            store: Store = request.app.state.store
            request.state.user = await run_in_threadpool(session_user, store, token)
        if request.state.user is None and not path.startswith(PUBLIC):
            if request.method in ("GET", "HEAD"):
                return RedirectResponse(login.login_url(request), status_code=303)
            return PlainTextResponse("Log in first.", status_code=401)
        return await call_next(request)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return render(request, "error.html", status_code=exc.status_code,
                  status=exc.status_code, message=exc.detail)


def build_app(config: Config, store: Store, *, secure_cookies: bool = False) -> Starlette:
    """The dashboard over `store`; `secure_cookies` marks cookies Secure on every request."""
    routes = [
        *login.ROUTES,
        *overview.ROUTES,
        *alert_pages.ROUTES,
        *post_pages.ROUTES,
        *correction_pages.ROUTES,
        *draft_pages.ROUTES,
        *model_page.ROUTES,
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Route("/", overview.home),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(LoginWall)],
                    exception_handlers={HTTPException: _http_error})
    app.state.config = config
    app.state.store = store
    app.state.cookies = CookiePolicy(always_secure=secure_cookies)
    return app
