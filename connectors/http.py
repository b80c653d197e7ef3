"""HTTP plumbing shared by the SDK connectors: timeouts, base-URL override, no secrets in logs.

Both tweepy and prawcore talk through a `requests.Session`; mounting
`ApiAdapter` on it gives every request a timeout and lets tests (or a proxy)
send the real client's requests to another host.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter

#: Libraries that log request headers, OAuth parameters or signing strings at DEBUG.
LIBRARY_LOGGERS: tuple[str, ...] = (
    "tweepy.client",
    "tweepy.auth",
    "oauthlib.oauth1.rfc5849",
    "oauthlib.oauth1.rfc5849.signature",
    "requests_oauthlib.oauth1_auth",
    "prawcore",
    "praw",
    "urllib3.connectionpool",
)

#: Shorter strings are too likely to occur by chance to be worth masking.
_MIN_SECRET_CHARS = 6


class ApiAdapter(HTTPAdapter):
    """Cap each request at `timeout` seconds and optionally rewrite its scheme and host."""

    def __init__(self, *, timeout: float, base_url: str | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.base_url = urlsplit(base_url) if base_url else None

    def send(self, request: Any, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> Any:
        if self.base_url is not None:
            parts = urlsplit(request.url)
            request.url = urlunsplit(
                (self.base_url.scheme, self.base_url.netloc, parts.path, parts.query, "")
            )
        # the configured timeout also caps what the SDK asks for (prawcore always says 16 s)
        if isinstance(timeout, int | float):
            timeout = min(timeout, self.timeout)
        elif timeout is None:
            timeout = self.timeout
        return super().send(request, stream=stream, timeout=timeout,
                            verify=verify, cert=cert, proxies=proxies)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return `text` with every secret replaced by `***`, as written or URL-encoded."""
    for secret in secrets:
        if len(secret) >= _MIN_SECRET_CHARS:
            text = _written_or_encoded(secret).sub("***", text)
    return text


@functools.lru_cache(maxsize=64)
def _written_or_encoded(secret: str) -> re.Pattern[str]:
    """A pattern for `secret` however a URL carries it: the SDKs log request URLs, where a
    token's `/`, `+` or `=` is percent-encoded (in either hex case) and a space may be `+`."""
    chars = []
    for char in secret:
        forms = [re.escape(char), "".join(_percent(byte) for byte in char.encode())]
        if char == " ":
            forms.append(r"\+")
        chars.append(f"(?:{'|'.join(forms)})")
    return re.compile("".join(chars))


def _percent(byte: int) -> str:
    """`%2F` or `%2f`: encoders differ in the case of the hex digits."""
    return "%" + "".join(f"[{h}{h.lower()}]" if h.isalpha() else h for h in f"{byte:02X}")


class SecretFilter(logging.Filter):
    """Masks known secrets in records from the SDKs' own loggers (tweepy logs headers)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            cleaned = redact(message, self.secrets)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


_FILTER = SecretFilter()


def guard_secrets(secrets: Iterable[str | None]) -> None:
    """Make sure `secrets` never reach a log handler through the SDK loggers."""
    _FILTER.secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET_CHARS)
    for name in LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        if _FILTER not in library_logger.filters:
            library_logger.addFilter(_FILTER)
