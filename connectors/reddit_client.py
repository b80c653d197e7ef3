"""Build the praw client for the Reddit connector and translate praw/prawcore errors.

Messages name the environment variable or option to fix, never a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from connectors.base import ConnectorError, RateLimited, SourceStopped, TransientError
from connectors.credentials import secret_values
from connectors.http import ApiAdapter, guard_secrets, redact

_APP_VARS = "REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"
_ACCOUNT_VARS = "REDDIT_USERNAME and REDDIT_PASSWORD"


def build_reddit(creds: Mapping[str, str], *, session: Any, timeout: float,
                 base_url: str | None, on_response: Callable[..., None]) -> Any:
    """A praw.Reddit using `creds` over `session` (a requests.Session the caller closes).

    Script (password) auth when an account is given, else app-only auth.
    """
    import praw

    guard_secrets([creds.get("REDDIT_CLIENT_SECRET"), creds.get("REDDIT_PASSWORD")])
    adapter = ApiAdapter(timeout=timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.hooks["response"].append(on_response)
    settings: dict[str, Any] = {
        "requestor_class": single_send_requestor(),
        "client_id": creds["REDDIT_CLIENT_ID"],
        "client_secret": creds["REDDIT_CLIENT_SECRET"],
        "user_agent": creds["REDDIT_USER_AGENT"],
        "check_for_updates": False,
        "ratelimit_seconds": 0,  # a RATELIMIT answer becomes RateLimited, not a sleep
        "requestor_kwargs": {"session": session, "timeout": timeout},
    }
    if creds.get("REDDIT_USERNAME") and creds.get("REDDIT_PASSWORD"):
        settings.update(username=creds["REDDIT_USERNAME"], password=creds["REDDIT_PASSWORD"])
    if base_url:
        settings.update(oauth_url=base_url.rstrip("/"), reddit_url=base_url.rstrip("/"))
    return praw.Reddit(**settings)


class NotResent(Exception):
    """Why prawcore was not let to re-send a write: the first one may have been acted on."""


@cache
def single_send_requestor() -> type[Any]:
    """A prawcore Requestor that lets prawcore send an API write (POST, ...) only once.

    prawcore's Session re-sends any request answered 5xx or whose connection
    dropped, whatever its method, and has no switch for it; a comment Reddit
    stored before failing would be posted twice. Through this Requestor a write's
    5xx comes back as ServerError and a dropped connection as a RequestException
    prawcore does not retry, so the caller decides (a reply is never retried: the
    poster looks it up with `find_own_reply`). Reads and token requests keep
    prawcore's retries. praw takes it as `Reddit(requestor_class=...)`.
    """
    from prawcore import RequestException, Requestor, ServerError
    from prawcore.const import ACCESS_TOKEN_PATH
    from prawcore.sessions import Session

    class SingleSendRequestor(Requestor):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            method = str(kwargs.get("method") or (args[0] if args else "GET")).upper()
            url = str(kwargs.get("url") or (args[1] if len(args) > 1 else ""))
            if method in ("GET", "HEAD", "OPTIONS") or url.split("?")[0].endswith(
                ACCESS_TOKEN_PATH
            ):
                return super().request(*args, **kwargs)
            try:
                response = super().request(*args, **kwargs)
            except RequestException as exc:
                raise RequestException(
                    NotResent(f"{method} not re-sent after {exc.original_exception!r}"),
                    exc.request_args, exc.request_kwargs,
                ) from exc.original_exception
            if response.status_code in Session.RETRY_STATUSES:
                raise ServerError(response)
            return response

    return SingleSendRequestor


def _wait_seconds(message: str) -> float:
    match = re.search(r"(\d+)\s*(second|minute|millisecond)", message)
    if not match:
        return 600.0
    amount, unit = float(match.group(1)), match.group(2)
    return amount * 60 if unit == "minute" else amount / 1000 if unit == "millisecond" else amount


def translate(exc: Exception, *, posting: bool, clock: Callable[[], float],
              env: Mapping[str, str]) -> ConnectorError | None:
    """Map a praw/prawcore/requests exception to the connector exception tree."""
    import praw.exceptions
    import prawcore

    def clean(text: str) -> str:
        return redact(text, secret_values(env))

    if isinstance(exc, prawcore.TooManyRequests):
        headers = exc.response.headers
        wait = headers.get("x-ratelimit-reset") or headers.get("retry-after") or "60"
        try:
            retry_at = clock() + float(wait)
        except ValueError:
            retry_at = clock() + 60.0
        return RateLimited("Reddit rate limit reached (429)", retry_at=retry_at)
    if isinstance(exc, praw.exceptions.RedditAPIException):
        for item in exc.items:
            if item.error_type == "RATELIMIT":
                message = item.message or ""
                return RateLimited(f"Reddit: {clean(message)}",
                                   retry_at=clock() + _wait_seconds(message))
        return ConnectorError(f"Reddit refused: {clean(str(exc))}")
    if isinstance(exc, prawcore.OAuthException):
        return SourceStopped(f"Reddit refused the login ({exc.error}): check {_ACCOUNT_VARS} "
                             "(the account must be a developer of the script app).")
    if isinstance(exc, prawcore.InvalidToken | prawcore.InsufficientScope):
        return SourceStopped(f"Reddit rejected the access token ({type(exc).__name__}): check "
                             f"{_APP_VARS}.")
    if isinstance(exc, prawcore.Forbidden):
        url = exc.response.url
        if posting:
            return ConnectorError(f"Reddit refused this reply (403) at {url}")
        return SourceStopped(f"Reddit refused access (403) to {url.split('?')[0]}: the "
                             "subreddit may be private or banned; fix option 'subreddits'.")
    if isinstance(exc, prawcore.NotFound | prawcore.Redirect):
        return SourceStopped(f"Reddit has no such listing ({type(exc).__name__}): check "
                             "option 'subreddits'.")
    if isinstance(exc, prawcore.ServerError | prawcore.BadJSON | prawcore.RequestException):
        return TransientError(f"Reddit request failed: {type(exc).__name__}")
    if isinstance(exc, prawcore.ResponseException):
        status = exc.response.status_code
        if status >= 500:
            return TransientError(f"Reddit server error {status}")
        if status == 401:
            return SourceStopped(f"Reddit rejected the app credentials (401): check {_APP_VARS}.")
        return SourceStopped(f"Reddit answered {status} for {exc.response.url.split('?')[0]}")
    if isinstance(exc, praw.exceptions.MissingRequiredAttributeException):
        return SourceStopped(f"Reddit client is missing a setting: {exc}")
    return None
