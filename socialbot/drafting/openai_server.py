"""Drafting through any OpenAI-compatible server: vLLM, llama.cpp's server, Ollama, a hosted API.

The server is asked exactly what the local model is (`models.prompting.chat_messages`)
on `/chat/completions`; the drafter's guardrails and regenerate loop then treat its
texts as they treat the local model's. Faults are retried like the connectors' (a
timeout, a 5xx, a 429 whose Retry-After is short enough to wait out); a server that
stays down or refuses raises `GeneratorUnavailable`, and the draft stage hands its
posts back to wait for a later batch.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.base import ConnectorError, RateLimited, TransientError
from connectors.http import guard_secrets, redact
from connectors.retry import RetryPolicy, call_with_retries
from models.prompting import chat_messages
from socialbot.config import DraftingConfig
from socialbot.domain import BrandVoice, DraftRequest
from socialbot.drafting.drafter import GeneratorUnavailable

logger = logging.getLogger(__name__)

#: The local generator's sampling, so a draft reads alike whichever backend wrote it.
TEMPERATURE = 0.7
TOP_P = 0.9
#: A Retry-After up to this is waited out in place; a longer one pauses drafting instead.
MAX_IN_PLACE_WAIT = 30.0
#: Connecting is quick or the server is not there; only the answer may take long.
CONNECT_TIMEOUT = 5.0
#: How much of a server's error message is worth quoting.
MAX_DETAIL_CHARS = 300


class _Refused(Exception):
    """The server answered with an error status (translated by `_translate`)."""

    def __init__(self, status: int, retry_after: str | None, detail: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after
        self.detail = detail


class _NotACompletion(ValueError):
    """A 2xx answer that holds no chat completion (a proxy's page, a truncated body)."""


class _Round:
    """One `generate` call's drafts in flight: failed once one has failed for good."""

    def __init__(self) -> None:
        self.abandoned = threading.Event()
        self.failure: ConnectorError | None = None

    def fail(self, exc: ConnectorError) -> None:
        if self.failure is None:  # the cause; later failures are only its consequence
            self.failure = exc
        self.abandoned.set()


class _Abandoned(ConnectorError):
    """Not sent: another draft of the same round has already failed."""


class OpenAIServerGenerator:
    """A `DraftGenerator` whose drafts come from an OpenAI-compatible chat server.

    Each draft is one request; up to `concurrency` are in flight at once, which a
    batching server (vLLM, llama.cpp with parallel slots) answers together. `sleep`
    and `clock` are for tests; by default a retry's wait ends early if its round fails.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        api_key_env: str = "",
        timeout: float = 60.0,
        concurrency: int = 4,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.url = chat_completions_url(base_url)
        self.where = urlsplit(self.url).netloc.rpartition("@")[2]  # never user:password
        self.model = model
        self.version = f"openai:{model}@{self.where}"[:200]
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self._api_key_env = api_key_env
        self._secrets = [api_key] if api_key else []
        guard_secrets(self._secrets)
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="drafting")
        self._local = threading.local()
        self._sessions: list[Any] = []
        self._lock = threading.Lock()

    def generate(
        self,
        requests: Sequence[DraftRequest],
        *,
        voice: BrandVoice,
        seed: int = 0,
        max_new_tokens: int = 80,
    ) -> list[str]:
        """One draft per request, in order; raises GeneratorUnavailable if any cannot be had.

        The first request that fails for good fails the round: the others still queued
        are not sent, and those retrying stop at their next try.
        """
        round_ = _Round()
        futures = [
            self._pool.submit(self._draft, request, voice, seed, max_new_tokens, round_)
            for request in requests
        ]
        wait(futures, return_when=FIRST_EXCEPTION)
        failure = round_.failure or next(
            (f.exception() for f in futures if f.done() and f.exception()), None)
        if failure is None:
            return [future.result() for future in futures]
        round_.abandoned.set()  # a bug in one draft (not a ConnectorError) ends it too
        for future in futures:
            future.cancel()
        if isinstance(failure, RateLimited):
            raise GeneratorUnavailable(
                f"drafting server {self.where}: {failure}",
                retry_after=max(0.0, failure.retry_at - self._clock()),
            ) from failure
        if isinstance(failure, ConnectorError):
            raise GeneratorUnavailable(f"drafting server {self.where}: {failure}") from failure
        raise failure

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    # -- one draft -----------------------------------------------------------------------
    def _draft(self, request: DraftRequest, voice: BrandVoice, seed: int,
               max_new_tokens: int, round_: _Round) -> str:
        body = {
            "model": self.model,
            "messages": chat_messages(request, voice),
            "max_tokens": max_new_tokens,
            "temperature": TEMPERATURE,
            "top_p": TOP_P,
            # a retry of the drafter samples with the next seed, as the local model does
            "seed": seed,
            "n": 1,
            "stream": False,
        }

        def send() -> str:
            if round_.abandoned.is_set():
                raise _Abandoned("another draft of this round failed")
            return self._post(body)

        def pause(seconds: float) -> None:
            if self._sleep is None:
                round_.abandoned.wait(seconds)  # a failed round ends the wait at once
            else:
                self._sleep(seconds)

        try:
            text = call_with_retries(
                send, translate=self._translate, policy=self.policy, sleep=pause,
                rng=self._rng, what=f"draft request to {self.where}",
            )
        except _Abandoned:
            raise
        except ConnectorError as exc:
            round_.fail(exc)  # here, before this worker takes the round's next draft
            raise
        return text.strip()

    def _post(self, body: dict[str, Any]) -> str:
        response = self._session().post(
            self.url, json=body, timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout)
        )
        if not 200 <= response.status_code < 300:
            raise _Refused(response.status_code, response.headers.get("Retry-After"),
                           _error_detail(response))
        return completion_text(response)

    def _session(self) -> Any:
        """This thread's HTTP session (a requests.Session is not meant to be shared)."""
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            session.headers.update(self._headers)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    # -- faults --------------------------------------------------------------------------
    def _translate(self, exc: Exception) -> ConnectorError | None:
        import requests

        if isinstance(exc, _Refused):
            return self._refusal(exc)
        if isinstance(exc, requests.exceptions.Timeout):
            return TransientError(f"no answer within {self.timeout:g}s")
        if isinstance(exc, requests.exceptions.ConnectionError
                      | requests.exceptions.ChunkedEncodingError):
            return TransientError(f"cannot reach the server ({type(exc).__name__})")
        if isinstance(exc, _NotACompletion):
            return TransientError(str(exc))
        return None

    def _refusal(self, exc: _Refused) -> ConnectorError:
        status = exc.status
        detail = redact(exc.detail, self._secrets)
        if status in (408, 429) or status >= 500:
            asked = retry_after_seconds(exc.retry_after, now=self._clock())
            what = "busy" if status == 429 else "failing"
            if asked is not None and asked > MAX_IN_PLACE_WAIT:
                return RateLimited(f"the server is {what} ({status}) and asks for {asked:.0f}s",
                                   retry_at=self._clock() + asked)
            return TransientError(f"the server is {what} ({status}): {detail}",
                                  retry_after=asked or 0.0)
        if status in (401, 403):
            if self._api_key_env:
                return ConnectorError(f"the server refused the API key ({status}): check the "
                                      f"variable {self._api_key_env}")
            return ConnectorError(f"the server wants an API key ({status}): put it in an "
                                  "environment variable and name it in [drafting] api_key_env")
        if status == 404:
            return ConnectorError(f"no such model or endpoint (404) for model {self.model!r} at "
                                  f"{self.url}: {detail} (check [drafting] model, and base_url, "
                                  "which usually ends in /v1)")
        return ConnectorError(f"the server refused the request ({status}): {detail}")


def chat_completions_url(base_url: str) -> str:
    """`base_url` + /chat/completions; a URL with no path gets the usual /v1 first."""
    base = base_url.rstrip("/")
    if not urlsplit(base).path:
        base += "/v1"
    return f"{base}/chat/completions"


def completion_text(response: Any) -> str:
    """The reply in a chat completion: `choices[0].message.content` ("" when null)."""
    try:
        body = response.json()
        content = body["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise _NotACompletion("the server answered with something that is not a chat "
                              "completion") from None
    if content is not None and not isinstance(content, str):
        raise _NotACompletion("the completion's content is not text")
    return content or ""


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from `now`; None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _error_detail(response: Any) -> str:
    """What the server said was wrong: OpenAI's `error.message`, else the start of the body."""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        text = str(message or body)
    except ValueError:
        text = response.text
    text = " ".join(text.split())
    return text[:MAX_DETAIL_CHARS] or "no detail"


def server_generator(
    settings: DraftingConfig, *, env: Mapping[str, str] | None = None
) -> OpenAIServerGenerator:
    """The generator `[drafting] backend = "openai"` describes, with its key from `env`."""
    env = os.environ if env is None else env
    api_key = None
    if settings.api_key_env:
        api_key = env.get(settings.api_key_env, "").strip()
        if not api_key:
            # like a connector's missing credential: drafting waits, the rest runs on
            raise GeneratorUnavailable(f"[drafting] api_key_env names {settings.api_key_env}, "
                                       "which is not set in the environment")
    generator = OpenAIServerGenerator(
        base_url=settings.base_url,
        model=settings.model,
        api_key=api_key,
        api_key_env=settings.api_key_env,
        timeout=settings.timeout,
        concurrency=settings.concurrency,
    )
    logger.info("drafting with %s at %s", settings.model, generator.url)
    return generator
