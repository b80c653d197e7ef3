"""Reddit source: new submissions and comments of listed subreddits plus keyword search (praw).

Listings are polled by hand with `before=<newest fullname stored>` (praw's
streams end on the first exception). Post ids are fullnames (`t3_...`
submissions, `t1_...` comments); `in_reply_to` is the parent's fullname and
`conversation_id` the submission's. The cursor is JSON:
`{"anchors": {listing key: newest fullname}, "turn": int}` (the listing to poll next).
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.base import (
    Connector,
    ConnectorError,
    PostLookup,
    Purpose,
    TransientError,
    Variable,
)
from connectors.credentials import require
from connectors.options import parse_options
from connectors.reddit_client import build_reddit, translate
from connectors.reddit_pacing import RedditPace, pace_for
from connectors.reddit_parse import fullname_key, is_newer, to_post
from connectors.retry import RetryPolicy, call_with_retries
from socialbot.domain import Page, Post, Rejected, Reply

logger = logging.getLogger(__name__)

_SUBREDDIT = re.compile(r"^[A-Za-z0-9_]{2,21}$")


class RedditOptions(BaseModel):
    """`options` of a `kind = "reddit"` source; at least one of subreddits/keywords."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subreddits: list[str] = Field(default_factory=list, description="names, without r/")
    keywords: list[str] = Field(default_factory=list, description="site-wide search terms")
    include_comments: bool = True
    page_size: int = Field(default=100, ge=1, le=100)
    timeout: float = Field(default=16.0, gt=0, description="seconds per HTTP request")
    retries: int = Field(default=3, ge=0, le=10, description="retries of 5xx/timeouts")

    @model_validator(mode="after")
    def _check(self) -> RedditOptions:
        if not self.subreddits and not self.keywords:
            raise ValueError("give at least one of 'subreddits' or 'keywords'")
        for name in self.subreddits:
            if not _SUBREDDIT.match(name.removeprefix("r/")):
                raise ValueError(f"{name!r} in 'subreddits' is not a subreddit name")
        return self


@dataclass(frozen=True, slots=True)
class Listing:
    """One Reddit listing we poll: its cursor key, API path and fixed query parameters."""

    key: str
    path: str
    params: tuple[tuple[str, str], ...] = ()


def listings_for(options: RedditOptions) -> list[Listing]:
    subs = "+".join(s.removeprefix("r/") for s in options.subreddits)
    found = []
    if subs:
        found.append(Listing(f"new:{subs}", f"r/{subs}/new"))
        if options.include_comments:
            found.append(Listing(f"comments:{subs}", f"r/{subs}/comments"))
    if options.keywords:
        query = " OR ".join(f'"{k}"' if " " in k else k for k in options.keywords)
        found.append(Listing(f"search:{query}", "search",
                             (("q", query), ("sort", "new"), ("type", "link"))))
    return found


_REDDIT_APP = "reddit.com/prefs/apps, a 'script' app"


class RedditConnector(Connector):
    """Polls one watch's Reddit listings; replies to submissions and comments."""

    kind: ClassVar[str] = "reddit"
    platform: ClassVar[str | None] = "reddit"
    display_name: ClassVar[str] = "Reddit"
    #: characters in a comment (Reddit's own limit is 10,000)
    reply_limit: ClassVar[int | None] = 10_000
    credentials: ClassVar[Mapping[Purpose, tuple[Variable, ...]]] = {
        "read": (
            Variable("REDDIT_CLIENT_ID", f"the id under the app name at {_REDDIT_APP}"),
            Variable("REDDIT_CLIENT_SECRET", f"'secret' at {_REDDIT_APP}"),
            Variable("REDDIT_USER_AGENT",
                     "a descriptive user agent, e.g. 'socialbot/0.1 by u/yourname'",
                     secret=False),
        ),
        "post": (
            Variable("REDDIT_USERNAME", "the Reddit account the bot posts as", secret=False),
            Variable("REDDIT_PASSWORD", "that account's password"),
        ),
    }

    @classmethod
    def check_online(cls, *, posting: bool = False, env: Mapping[str, str] | None = None,
                     base_url: str | None = None) -> list[str]:
        """Read one item from r/all/new (and, for posting, GET /api/v1/me); say what worked."""
        source = cls("doctor", {"subreddits": ["all"], "include_comments": False},
                     env=env, base_url=base_url)
        try:
            source._get(source.listings[0], limit=1)
            lines = ["Reddit reading works: r/all/new answered."]
            if posting:
                lines.append(f"Reddit posting works as u/{source.whoami()}.")
        finally:
            source.close()
        return lines

    def __init__(
        self, name: str, options: dict[str, Any], *,
        env: Mapping[str, str] | None = None, base_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
        rng: random.Random | None = None, seen_size: int = 5000,
    ) -> None:
        super().__init__(name, options)
        self.settings = parse_options(RedditOptions, options)
        self.listings = listings_for(self.settings)
        self._env = os.environ if env is None else env
        self._base_url, self._sleep, self._clock = base_url, sleep, clock
        self._rng = rng or random.Random()
        self._policy = RetryPolicy(attempts=self.settings.retries + 1)
        self._reddit: Any = None
        self._session: Any = None
        self._posting = False
        # fullname -> the listing that handed it out, so a submission that two listings
        # find goes out once; the same listing may hand it out again (its page may not
        # have been stored), so nothing is ever skipped for good
        self._seen: OrderedDict[str, str] = OrderedDict()
        self._seen_size = seen_size
        #: shared with every source of the same client id (set with the client)
        self._pace: RedditPace | None = None

    # -- plumbing ----------------------------------------------------------------
    def _client(self, *, posting: bool) -> Any:
        if self._reddit is None or (posting and not self._posting):
            creds = require("reddit", "post" if posting else "read", self._env)
            for optional in ("REDDIT_USERNAME", "REDDIT_PASSWORD"):
                if self._env.get(optional, "").strip():
                    creds.setdefault(optional, self._env[optional].strip())
            import requests

            self.close()
            self._session = requests.Session()
            self._reddit = build_reddit(creds, session=self._session,
                                        timeout=self.settings.timeout, base_url=self._base_url,
                                        on_response=self._note_limits)
            self._posting = "REDDIT_PASSWORD" in creds and "REDDIT_USERNAME" in creds
            self._pace = pace_for(creds["REDDIT_CLIENT_ID"])
        return self._reddit

    def _note_limits(self, response: Any, *args: Any, **kwargs: Any) -> None:
        if self._pace is not None:
            self._pace.observe(response.headers, self._clock())

    def _call(self, call: Callable[[], Any], *, what: str, posting: bool = False,
              retry: bool = True) -> Any:
        # prawcore would sleep until the reset itself; the shared pace raises instead when
        # the wait is long, so other sources run meanwhile
        if self._pace is not None:
            wait = self._pace.reserve(self._clock())
            if wait > 0:
                self._sleep(wait)
        return call_with_retries(
            call, translate=partial(translate, posting=posting, clock=self._clock, env=self._env),
            policy=self._policy if retry else RetryPolicy(attempts=1), sleep=self._sleep,
            rng=self._rng, what=f"Reddit {what} for source {self.name!r}",
        )

    def _get(self, listing: Listing, *, limit: int, before: str | None = None) -> list[Any]:
        reddit = self._client(posting=False)
        params: dict[str, str | int] = {"limit": limit, **dict(listing.params)}
        if before:
            params["before"] = before
        body = self._call(partial(reddit.request, method="GET", path=listing.path,
                                  params=params), what=f"listing {listing.path}")
        children = body.get("data", {}).get("children") if isinstance(body, dict) else None
        if not isinstance(children, list):  # a proxy's page or a truncated answer
            raise TransientError(f"Reddit listing {listing.path} answered with no Listing")
        return children

    # -- compliance --------------------------------------------------------------
    def lookup_posts(self, ids: Sequence[str]) -> PostLookup:
        """Look up to 100 stored fullnames (GET /api/info): a thing Reddit no longer returns,
        or returns with its author `[deleted]` or its text `[removed]` / `[deleted]`, is
        gone and must be deleted under Reddit's Data API terms."""
        if not 0 < len(ids) <= self.lookup_size:
            raise ValueError(f"look up 1 to {self.lookup_size} posts at a time, not {len(ids)}")
        reddit = self._client(posting=False)
        body = self._call(partial(reddit.request, method="GET", path="api/info",
                                  params={"id": ",".join(ids)}), what="compliance lookup")
        children = body.get("data", {}).get("children") if isinstance(body, dict) else None
        if not isinstance(children, list):
            raise TransientError("Reddit's info lookup answered with no Listing")
        found = {}
        for child in children:
            data = child.get("data") if isinstance(child, dict) else None
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                found[data["name"]] = data
        available = [i for i in ids if i in found and not _erased(found[i])]
        gone = [i for i in ids if i not in available]
        logger.info("looked up %d Reddit posts for source %s: %d no longer available",
                    len(ids), self.name, len(gone))
        return PostLookup(tuple(available), tuple(gone))

    # -- reading -----------------------------------------------------------------
    def fetch(self, cursor: str | None, *, limit: int) -> Page:
        """Poll the listings in turn until one has something new, or all are caught up.

        So an empty Page (with `exhausted`) means a whole round found nothing, and
        a caller that stops on an empty page never leaves a listing unvisited.
        """
        state = _load(cursor)
        anchors: dict[str, str] = dict(state.get("anchors", {}))
        turn = int(state.get("turn", 0))
        size = max(1, min(self.settings.page_size, limit))
        for _ in self.listings:
            listing = self.listings[turn % len(self.listings)]
            turn = (turn + 1) % len(self.listings)
            posts, rejected, full = self._poll(listing, anchors, size)
            if posts or rejected or full:
                break
        cursor_after = json.dumps({"anchors": anchors, "turn": turn}, sort_keys=True)
        logger.info("fetched Reddit source %s %s: %d posts, %d rejected", self.name,
                    listing.key, len(posts), len(rejected))
        return Page(posts=posts, rejected=rejected, cursor=cursor_after,
                    exhausted=not (posts or rejected or full))

    def _poll(self, listing: Listing, anchors: dict[str, str],
              size: int) -> tuple[list[Post], list[Rejected], bool]:
        """One listing's items newer than its anchor; moves the anchor in `anchors`."""
        anchor = anchors.get(listing.key)
        children = self._get(listing, limit=size, before=anchor)
        full = len(children) >= size
        if anchor and not children:
            # caught up, or the anchor was deleted (then `before` finds nothing forever)
            children = [c for c in self._get(listing, limit=size) if is_newer(c, anchor)]
            full = False
        posts, rejected, newest = self._parse(listing, anchor, children)
        if newest:
            anchors[listing.key] = newest
        return posts, rejected, full

    def _parse(self, listing: Listing, anchor: str | None,
               children: list[Any]) -> tuple[list[Post], list[Rejected], str | None]:
        posts, rejected, newest = [], [], anchor
        for i, child in enumerate(children):
            name = fullname_key(child)
            if name and (newest is None or is_newer(child, newest)):
                newest = name
            if name and self._seen.get(name, listing.key) != listing.key:
                continue
            try:
                post = to_post(child)
            except ValueError as exc:
                rejected.append(Rejected(self.name, f"{listing.key} before {anchor} item {i}",
                                         str(exc), json.dumps(child, ensure_ascii=False)))
                continue
            self._seen[post.id] = listing.key
            if len(self._seen) > self._seen_size:
                self._seen.popitem(last=False)
            posts.append(post)
        return posts, rejected, newest

    # -- replying ----------------------------------------------------------------
    def reply(self, reply: Reply) -> str:
        """Comment on the submission or comment `reply.in_reply_to` (a fullname); never retried."""
        reddit = self._client(posting=True)
        kind, _, base36 = reply.in_reply_to.partition("_")
        if kind not in ("t1", "t3") or not base36:
            raise ConnectorError(f"cannot reply to {reply.in_reply_to!r}: not a t1_/t3_ fullname")
        thing = reddit.submission(id=base36) if kind == "t3" else reddit.comment(id=base36)
        comment = self._call(partial(thing.reply, reply.text), what="reply", posting=True,
                             retry=False)
        if comment is None:
            raise ConnectorError(f"Reddit did not accept a reply to {reply.in_reply_to} "
                                 "(locked or archived thread?)")
        fullname = f"t1_{comment.id}"
        logger.info("posted Reddit reply %s to %s for draft %s", fullname, reply.in_reply_to,
                    reply.draft_id)
        return fullname

    def find_own_reply(self, reply: Reply) -> str | None:
        """Fullname of the bot's recent comment on `reply.in_reply_to` with the same text."""
        reddit = self._client(posting=True)
        user = self._env["REDDIT_USERNAME"].strip()
        body = self._call(partial(reddit.request, method="GET", path=f"user/{user}/comments",
                                  params={"limit": 100, "sort": "new"}),
                          what="own-replies lookup", posting=True)
        wanted = " ".join(reply.text.split())
        for child in (body.get("data") or {}).get("children") or []:
            data = child.get("data") or {}
            if data.get("parent_id") == reply.in_reply_to and \
                    " ".join(str(data.get("body", "")).split()) == wanted:
                logger.info("found Reddit reply %s for draft %s", data.get("name"),
                            reply.draft_id)
                return str(data.get("name") or f"t1_{data.get('id')}")
        return None

    def whoami(self) -> str:
        """The account the credentials act as (GET /api/v1/me), a cheap online check."""
        reddit = self._client(posting=True)
        body = self._call(partial(reddit.request, method="GET", path="api/v1/me"),
                          what="who-am-I", posting=True)
        return str(body.get("name"))

    def check_access(self) -> str:
        """Read one item of this source's first listing: proves the app credentials and
        that the subreddit is there and readable (not private, banned or renamed)."""
        listing = self.listings[0]
        self._get(listing, limit=1)
        return f"Reddit answers {listing.path} for this source"

    def posting_account(self) -> str:
        return f"u/{self.whoami()}"

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        self._reddit = self._session = None


def _load(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        raise ConnectorError(f"unreadable Reddit cursor {cursor[:80]!r}") from None
    return state if isinstance(state, dict) else {}


def _erased(data: dict[str, Any]) -> bool:
    """Deleted by its author, or removed by the moderators: Reddit keeps a shell."""
    text = data.get("body") if "body" in data else data.get("selftext")
    return data.get("author") in (None, "[deleted]") or text in ("[removed]", "[deleted]")
