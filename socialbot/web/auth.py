"""Who is asking: the session cookie, CSRF tokens on every form, and login rate limiting.

The cookie carries only a random token; the session itself is a row in the store
(socialbot.store.web_users), so logging out or removing a user ends it everywhere. A
login always opens a new session with a new token (no session fixation). CSRF tokens
are an HMAC of the cookie's token: a page from another site can neither read nor
compute them. Before login the same is done with a short-lived pre-login cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from socialbot.store import Store
from socialbot.store.types import utcnow
from socialbot.store.web_users import (
    WebUser,
    check_password,
    forget_failures,
    note_failure,
    open_session,
    recent_failures,
)

SESSION_COOKIE = "socialbot_session"
PRELOGIN_COOKIE = "socialbot_prelogin"
SESSION_LIFETIME = timedelta(hours=12)

#: at most this many failed logins per address and per user name within the window
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class CookiePolicy:
    """How cookies are set: Secure always (`--secure-cookies`) or when the request came
    over https (which, behind a proxy, uvicorn learns from X-Forwarded-Proto only when
    `serve --proxy` trusts it)."""

    always_secure: bool = False

    def secure(self, request: Request) -> bool:
        return self.always_secure or request.url.scheme == "https"

    def set(self, request: Request, response: Response, name: str, value: str,
            *, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                            samesite="lax", secure=self.secure(request))


def require_moderator(request: Request, *, doing: str) -> WebUser:
    """The signed-in user when their role may moderate; else 403 saying what a viewer
    cannot do (`doing`: "decide drafts", "label posts")."""
    user: WebUser = request.state.user
    if not user.role.may_moderate:
        raise HTTPException(403, f"Viewers cannot {doing}; ask an admin for the moderator "
                                 "role.")
    return user


def csrf_token(request: Request) -> str:
    """The token the current page's forms carry (bound to the session or pre-login cookie)."""
    if getattr(request.state, "user", None) is not None:
        key = request.cookies.get(SESSION_COOKIE, "")
    else:  # the login page: bound to the pre-login cookie (a stale session cookie is ignored)
        key = getattr(request.state, "prelogin", "")
    return hmac.new(key.encode(), b"socialbot-csrf", hashlib.sha256).hexdigest() if key else ""


async def checked_form(request: Request) -> FormData:
    """The POSTed form, or 403 when its CSRF token is missing or not this session's."""
    form = await request.form()
    sent = form.get("csrf")
    expected = csrf_token(request)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "This form has expired or did not come from this site: "
                                 "reload the page and try again.")
    return form


def new_prelogin(request: Request) -> str:
    """The pre-login token of this request, made now if the browser has none."""
    token = request.cookies.get(PRELOGIN_COOKIE) or secrets.token_urlsafe(32)
    request.state.prelogin = token
    return token


def client_address(request: Request) -> str:
    # behind `serve --proxy`, uvicorn has already put the forwarded address here
    return request.client.host if request.client else "unknown"


class LoginRefused(Exception):
    """A login attempt that did not log anyone in; the message is for the person."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def log_in(store: Store, request: Request, name: str, password: str) -> tuple[WebUser, str]:
    """Check the password (unless this address or name is rate limited); a fresh session."""
    address = client_address(request)
    now = utcnow()
    if recent_failures(store, address=address, username=name,
                       since=now - FAILURE_WINDOW) >= MAX_FAILURES:
        raise LoginRefused(f"Too many failed logins: wait {FAILURE_WINDOW.seconds // 60} "
                           "minutes and try again.", status_code=429)
    user = check_password(store, name, password)
    if user is None:
        note_failure(store, address=address, username=name, forget_before=now - FAILURE_WINDOW)
        raise LoginRefused("Wrong user name or password.", status_code=401)
    forget_failures(store, username=name)
    return user, open_session(store, user, lifetime=SESSION_LIFETIME)
