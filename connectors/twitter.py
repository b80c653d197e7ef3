"""X/Twitter source: recent search (API v2, tweepy) polled with since_id, and replies.

The cursor (`twitter_parse.SearchCursor`, JSON) lets a crash mid-pagination
resume on the same page; `since_id` moves to the newest id seen only when a
search pass is complete (no `next_token` left).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import (
    Connector,
    PostLookup,
    Purpose,
    SourceStopped,
    TransientError,
    Variable,
)
from connectors.credentials import require
from connectors.http import ApiAdapter, guard_secrets
from connectors.options import parse_options
from connectors.retry import RetryPolicy, call_with_retries
from connectors.twitter_errors import QueryRejected, translate
from connectors.twitter_parse import SearchCursor, newer_id, same_text, tweet_to_post
from connectors.twitter_text import MAX_WEIGHTED_LENGTH, weighted_length
from socialbot.domain import Page, Rejected, Reply

logger = logging.getLogger(__name__)

#: X's problem types for a post asked for by id that it will not show: deleted, or its
#: author protected or suspended (each is one entry of the response's `errors`)
GONE_PROBLEMS = ("resource-not-found", "not-authorized-for-resource", "resource-unavailable")
TWEET_FIELDS = ["created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets", "lang"]
#: Recent search reaches back 7 days; start a little inside so clock skew is no 400.
_WINDOW_MARGIN_S = 120.0


class TwitterOptions(BaseModel):
    """`options` of a `kind = "twitter"` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    query: str = Field(min_length=1, description="X search query, operators passed through")
    backfill_days: float = Field(default=7.0, gt=0, le=7, description="first-run window")
    page_size: int = Field(default=100, ge=10, le=100)
    timeout: float = Field(default=30.0, gt=0, description="seconds per HTTP request")
    retries: int = Field(default=3, ge=0, le=10, description="retries of 5xx/timeouts")


_X_APP = "developer.x.com > your Project's App > Keys and tokens"


class TwitterConnector(Connector):
    """Polls X recent search for one watch's query; replies with user-context OAuth 1.0a."""

    kind: ClassVar[str] = "twitter"
    smallest_page: ClassVar[int] = 10  # recent search's least max_results
    platform: ClassVar[str | None] = "twitter"
    display_name: ClassVar[str] = "X/Twitter"
    reply_limit: ClassVar[int | None] = MAX_WEIGHTED_LENGTH
    credentials: ClassVar[Mapping[Purpose, tuple[Variable, ...]]] = {
        "read": (Variable("TWITTER_BEARER_TOKEN", f"Bearer Token at {_X_APP}"),),
        "post": (
            Variable("TWITTER_API_KEY", f"API Key at {_X_APP}"),
            Variable("TWITTER_API_SECRET", f"API Key Secret at {_X_APP}"),
            Variable("TWITTER_ACCESS_TOKEN", f"Access Token (Read and Write) at {_X_APP}"),
            Variable("TWITTER_ACCESS_TOKEN_SECRET", f"Access Token Secret at {_X_APP}"),
        ),
    }

    @classmethod
    def reply_length(cls, text: str) -> int:
        """X counts any URL as 23 and most characters outside Latin scripts as 2."""
        return weighted_length(text)

    @classmethod
    def check_online(cls, *, posting: bool = False, env: Mapping[str, str] | None = None,
                     base_url: str | None = None) -> list[str]:
        """Run one cheap search (and, for posting, GET /2/users/me); say what worked."""
        source = cls("doctor", {"query": "from:XDevelopers"}, env=env, base_url=base_url)
        try:
            client = source._client(posting=False)
            source._call(lambda: client.search_recent_tweets("from:XDevelopers", max_results=10),
                         what="online check")
            lines = ["X/Twitter reading works: recent search answered."]
            if posting:
                lines.append(f"X/Twitter posting works as @{source.my_username()}.")
        finally:
            source.close()
        return lines

    def __init__(
        self, name: str, options: dict[str, Any], *,
        env: Mapping[str, str] | None = None, base_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(name, options)
        self.settings = parse_options(TwitterOptions, options)
        self._env = os.environ if env is None else env
        self._base_url, self._sleep, self._clock = base_url, sleep, clock
        self._rng = rng or random.Random()
        self._policy = RetryPolicy(attempts=self.settings.retries + 1)
        self._clients: dict[bool, Any] = {}
        self._me: str | None = None

    # -- plumbing ----------------------------------------------------------------
    def _client(self, *, posting: bool) -> Any:
        if posting not in self._clients:
            import tweepy

            creds = require("twitter", "post" if posting else "read", self._env)
            guard_secrets(creds.values())
            client = tweepy.Client(
                bearer_token=creds["TWITTER_BEARER_TOKEN"],
                consumer_key=creds.get("TWITTER_API_KEY"),
                consumer_secret=creds.get("TWITTER_API_SECRET"),
                access_token=creds.get("TWITTER_ACCESS_TOKEN"),
                access_token_secret=creds.get("TWITTER_ACCESS_TOKEN_SECRET"),
                return_type=dict,
            )
            client.session.mount("https://", ApiAdapter(timeout=self.settings.timeout,
                                                        base_url=self._base_url))
            self._clients[posting] = client
        return self._clients[posting]

    def _call(self, call: Callable[[], Any], *, what: str, posting: bool = False,
              retry: bool = True) -> Any:
        policy = self._policy if retry else RetryPolicy(attempts=1)
        return call_with_retries(
            call, translate=partial(translate, posting=posting, clock=self._clock, env=self._env),
            policy=policy, sleep=self._sleep, rng=self._rng,
            what=f"X {what} for source {self.name!r}",
        )

    # -- reading -----------------------------------------------------------------
    def fetch(self, cursor: str | None, *, limit: int) -> Page:
        """Return the next page of the current search pass (newest first, as X pages)."""
        state = SearchCursor.load(cursor)
        client = self._client(posting=False)
        for _ in range(3):
            params: dict[str, Any] = {
                "max_results": max(self.smallest_page, min(self.settings.page_size, limit)),
                "expansions": ["author_id"], "user_fields": ["username"],
                "tweet_fields": TWEET_FIELDS,
            }
            if state.since_id:
                params["since_id"] = state.since_id
            else:
                state = replace(state, start_time=state.start_time or self._window_start())
                params["start_time"] = state.start_time
            if state.next_token:
                params["next_token"] = state.next_token
            try:
                body = self._call(
                    partial(client.search_recent_tweets, self.settings.query, **params),
                    what="search")
                return self._page(state, body)
            except QueryRejected as exc:
                if state.next_token:  # token expired: restart the pass, since_id is intact
                    logger.warning("source %s: %s; restarting search pass", self.name, exc)
                    state = replace(state, next_token=None, start_time=None)
                elif state.since_id:  # since_id fell out of the 7-day window
                    logger.warning("source %s: %s; searching the last %s days instead",
                                   self.name, exc, self.settings.backfill_days)
                    state = SearchCursor()
                else:
                    raise SourceStopped(f"{exc} Check option 'query' of source "
                                        f"{self.name!r}: {self.settings.query!r}") from exc
        raise TransientError(f"X kept rejecting the search of source {self.name!r}")

    def _window_start(self) -> str:
        start = self._clock() - self.settings.backfill_days * 86400 + _WINDOW_MARGIN_S
        return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _page(self, state: SearchCursor, body: Any) -> Page:
        if not isinstance(body, dict):
            raise TransientError("X answered with something that is not a JSON object")
        where = f"search after {state.since_id or state.start_time} page {state.next_token or 1}"
        users: dict[str, str] = {}
        for user in (body.get("includes") or {}).get("users") or []:
            if isinstance(user, dict) and isinstance(user.get("username"), str):
                users[str(user.get("id"))] = user["username"]
        data = body.get("data") or []
        if not isinstance(data, list):
            data = [data]
        posts, rejected, newest = [], [], state.newest_id
        for i, item in enumerate(data):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                newest = newer_id(newest, item["id"])
            try:
                posts.append(tweet_to_post(item, users))
            except ValueError as exc:
                rejected.append(Rejected(self.name, f"{where} item {i}", str(exc),
                                         json.dumps(item, ensure_ascii=False)))
        meta: dict[str, Any] = body["meta"] if isinstance(body.get("meta"), dict) else {}
        token = meta.get("next_token") if isinstance(meta.get("next_token"), str) else None
        if token:
            after = replace(state, next_token=token, newest_id=newest)
        else:
            after = SearchCursor(since_id=newer_id(state.since_id, newest))
        logger.info("fetched X source %s: %d posts, %d rejected, %s", self.name, len(posts),
                    len(rejected), "more pages" if token else "caught up")
        return Page(posts=posts, rejected=rejected, cursor=after.dump(), exhausted=not token)

    # -- compliance --------------------------------------------------------------
    def lookup_posts(self, ids: Sequence[str]) -> PostLookup:
        """Look up to 100 stored posts by id (GET /2/tweets): those X no longer shows are
        named in the answer's `errors`, and must be deleted under its developer terms."""
        if not 0 < len(ids) <= self.lookup_size:
            raise ValueError(f"look up 1 to {self.lookup_size} posts at a time, not {len(ids)}")
        client = self._client(posting=False)
        body = self._call(partial(client.get_tweets, list(ids)), what="compliance lookup")
        if not isinstance(body, dict):
            raise TransientError("X answered with something that is not a JSON object")
        asked = set(ids)
        available = [str(t.get("id")) for t in body.get("data") or []
                     if isinstance(t, dict) and str(t.get("id")) in asked]
        gone = []
        for error in body.get("errors") or []:
            if not isinstance(error, dict):
                continue
            post_id = str(error.get("resource_id") or error.get("value") or "")
            problem = str(error.get("type") or "").rsplit("/", 1)[-1]
            if post_id in asked and problem in GONE_PROBLEMS and post_id not in available:
                gone.append(post_id)
        logger.info("looked up %d X posts for source %s: %d no longer available", len(ids),
                    self.name, len(gone))
        return PostLookup(tuple(available), tuple(dict.fromkeys(gone)))

    # -- replying ----------------------------------------------------------------
    def reply(self, reply: Reply) -> str:
        """Post `reply` once (never retried: a timeout may have posted it; see find_own_reply)."""
        client = self._client(posting=True)
        body = self._call(
            lambda: client.create_tweet(text=reply.text, in_reply_to_tweet_id=reply.in_reply_to,
                                        user_auth=True),
            what="reply", posting=True, retry=False)
        tweet_id = str(((body or {}).get("data") or {}).get("id") or "")
        if not tweet_id:
            raise TransientError("X accepted the reply but returned no id")
        logger.info("posted X reply %s to %s for draft %s", tweet_id, reply.in_reply_to,
                    reply.draft_id)
        return tweet_id

    def _my_id(self) -> str:
        if self._me is None:
            client = self._client(posting=True)
            body = self._call(lambda: client.get_me(user_auth=True), what="who-am-I",
                              posting=True)
            self._me = str(body["data"]["id"])
        return self._me

    def my_username(self) -> str:
        """The @handle the posting keys act as (a cheap online check)."""
        client = self._client(posting=True)
        body = self._call(lambda: client.get_me(user_auth=True), what="who-am-I", posting=True)
        return str(body["data"]["username"])

    def find_own_reply(self, reply: Reply, *, pages: int = 2) -> str | None:
        """Id of the bot's recent tweet replying to `reply.in_reply_to` with the same text."""
        client, me, token = self._client(posting=True), self._my_id(), None
        for _ in range(pages):
            params: dict[str, Any] = {"max_results": 100, "user_auth": True,
                                      "tweet_fields": ["referenced_tweets", "created_at"]}
            if token:
                params["pagination_token"] = token
            body = self._call(partial(client.get_users_tweets, me, **params),
                              what="own-replies lookup", posting=True)
            for tweet in body.get("data") or []:
                refs = tweet.get("referenced_tweets") or []
                if any(r.get("type") == "replied_to" and r.get("id") == reply.in_reply_to
                       for r in refs) and same_text(tweet.get("text", ""), reply.text):
                    logger.info("found X reply %s for draft %s", tweet["id"], reply.draft_id)
                    return str(tweet["id"])
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
        return None

    def check_access(self) -> str:
        """Search this source's query over the last minute: proves the token, the plan's
        access to recent search and the query, and usually reads no post (X bills reads)."""
        client = self._client(posting=False)
        start = datetime.fromtimestamp(self._clock() - 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = self._call(partial(client.search_recent_tweets, self.settings.query,
                                  max_results=10, start_time=start), what="access check")
        n = len((body or {}).get("data") or [])
        return (f"X recent search works for query {self.settings.query!r} "
                f"({n} post{'s' * (n != 1)} in the last minute)")

    def posting_account(self) -> str:
        return f"@{self.my_username()}"

    def close(self) -> None:
        for client in self._clients.values():
            client.session.close()
        self._clients.clear()

