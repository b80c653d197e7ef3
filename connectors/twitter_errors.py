"""Translate tweepy/requests failures into the connector exception tree.

Messages name the environment variable or access tier to fix, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import ConnectorError, RateLimited, SourceStopped, TransientError
from connectors.credentials import secret_values
from connectors.http import redact

_UPGRADE = ("Use keys from an App attached to a Project whose access level includes "
            "this endpoint (recent search needs Basic or higher), at developer.x.com.")


class QueryRejected(SourceStopped):
    """X answered 400: the query, a since_id or a pagination token is not acceptable."""


def translate(exc: Exception, *, posting: bool, clock: Callable[[], float],
              env: Mapping[str, str]) -> ConnectorError | None:
    """Map a tweepy/requests exception to the connector exception tree."""
    import requests
    import tweepy

    def clean(text: str) -> str:
        return redact(text, secret_values(env))

    if isinstance(exc, tweepy.TooManyRequests):
        retry_at = float(exc.reset_time) if exc.reset_time else clock() + 60.0
        when = datetime.fromtimestamp(retry_at, UTC).isoformat(timespec="seconds")
        return RateLimited(f"X rate limit reached; it resets at {when}", retry_at=retry_at)
    if isinstance(exc, tweepy.Unauthorized):
        if posting:
            return SourceStopped(
                "X rejected the posting keys (401): check TWITTER_API_KEY, "
                "TWITTER_API_SECRET, TWITTER_ACCESS_TOKEN and TWITTER_ACCESS_TOKEN_SECRET.")
        return SourceStopped(
            "X rejected the bearer token (401): check TWITTER_BEARER_TOKEN.")
    if isinstance(exc, tweepy.Forbidden):
        body = _json_body(exc.response)
        detail = clean(" ".join(exc.api_messages) or str(body.get("title", "forbidden")))
        if not posting and (453 in exc.api_codes or body.get("reason") == "client-not-enrolled"):
            why = "error 453" if 453 in exc.api_codes else body["reason"]
            return SourceStopped(f"Your X plan does not include recent search ({why}): it "
                                 "needs the Basic access level or higher; change it at "
                                 "developer.x.com, or use keys of an App whose Project has it.")
        if body.get("reason") in ("client-not-enrolled", "official-client-forbidden"):
            return SourceStopped(f"X refused this app's access level "
                                 f"({body.get('reason')}): {_UPGRADE}")
        if posting and "oauth1" in json.dumps(body).lower():
            return SourceStopped(
                "X refused to post (403): give the App 'Read and Write' permission, then "
                "regenerate TWITTER_ACCESS_TOKEN and TWITTER_ACCESS_TOKEN_SECRET.")
        if posting:
            return ConnectorError(f"X refused this reply (403): {detail}")
        return SourceStopped(f"X refused the search (403): {detail} {_UPGRADE}")
    if isinstance(exc, tweepy.BadRequest):
        return QueryRejected(f"X rejected the request (400): "
                             f"{clean(' '.join(exc.api_messages)) or 'bad request'}")
    if isinstance(exc, tweepy.TwitterServerError):
        return TransientError(f"X server error {exc.response.status_code}")
    if isinstance(exc, tweepy.HTTPException):
        status = exc.response.status_code
        return SourceStopped(f"X answered {status}: {clean(str(exc))}")
    if isinstance(exc, requests.exceptions.Timeout | requests.exceptions.ConnectionError
                  | requests.exceptions.ChunkedEncodingError | requests.JSONDecodeError):
        return TransientError(f"X request failed: {type(exc).__name__}")
    return None


def _json_body(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
