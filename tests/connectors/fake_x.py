"""A fake X API v2 (recent search, tweets lookup, users/me, user timeline, create tweet)
for tweepy to call."""

from __future__ import annotations

import json
import random
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from socialbot.clock import StreamClock
from socialbot.config import Config
from socialbot.store import Store
from tests.connectors.conftest import FakeClock, Request, Response

BEARER = "AAAAAAAAAAAAAAAAAAAAAfakeBearerToken0123456789"
ENV = {
    "TWITTER_BEARER_TOKEN": BEARER,
    "TWITTER_API_KEY": "fakeConsumerKey123",
    "TWITTER_API_SECRET": "fakeConsumerSecret456789",
    "TWITTER_ACCESS_TOKEN": "999-fakeAccessToken123",
    "TWITTER_ACCESS_TOKEN_SECRET": "fakeAccessTokenSecret789",
}
BOT_ID, BOT_NAME = "999", "brandbot"
REVOKED = Response(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                         "detail": "Unauthorized"})
#: what X answers an App whose plan lacks an endpoint (HTTP 403, v1.1-style error 453)
PLAN_LACKS_ENDPOINT = Response(403, {"errors": [{
    "message": "You currently have access to a subset of X API V2 endpoints and limited v1.1 "
               "endpoints (e.g. media post, oauth) only. If you need access to this endpoint, "
               "you may need a different access level. You can learn more here: "
               "https://developer.x.com/en/portal/product", "code": 453}]})
NOT_ENROLLED = {
    "client_id": "12345",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
    "and tokens from a Twitter developer App that is attached to a Project.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _created(tweet: Any) -> datetime:
    try:
        return datetime.fromisoformat(tweet["created_at"])
    except (TypeError, KeyError, ValueError):
        return datetime.max.replace(tzinfo=UTC)  # malformed items are still served


class FakeX:
    """Holds tweets; answers like the v2 API, newest first, `next_token` = "older than id"."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.tweets: dict[int, dict[str, Any]] = {}
        self.users = {BOT_ID: BOT_NAME}
        self.next_id = 1_850_000_000_000_000_000
        self.requests: list[Request] = []
        self.faults: deque[Response] = deque()  # answered instead of the next requests
        self.fault_rate, self.rng = 0.0, random.Random(7)
        self.fault_choices: list[Response] = []
        self.served_ids: list[str] = []
        #: answered to every request while set: a revoked token, a plan without search
        self.outage: Response | None = None
        #: ids the lookup reports unavailable -> why: "deleted", "protected" or "suspended"
        self.unavailable: dict[str, str] = {}
        #: ids each tweets lookup asked for
        self.looked_up: list[list[str]] = []

    def add(self, text: str = "", *, author: str = "jane_doe", age: float = 60.0,
            reply_to: str | None = None, raw: dict[str, Any] | None = None) -> str:
        self.next_id += 1
        tweet_id = str(self.next_id)
        user_id = str(abs(hash(author)) % 10**8)
        self.users[user_id] = author
        tweet = raw if raw is not None else {
            "id": tweet_id, "text": text or f"tweet {tweet_id} about acme",
            "author_id": user_id, "created_at": iso(self.now - age),
            "conversation_id": tweet_id, "lang": "en",
        }
        if reply_to and raw is None:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
            tweet["conversation_id"] = reply_to
        self.tweets[self.next_id] = tweet
        return tweet_id

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if self.faults:
            return self.faults.popleft()
        if self.outage is not None:
            return self.outage
        if self.fault_rate and self.rng.random() < self.fault_rate:
            return self.rng.choice(self.fault_choices)
        user_auth = request.headers.get("authorization", "").startswith("OAuth ")
        if user_auth and f'oauth_token="{ENV["TWITTER_ACCESS_TOKEN"]}"' not in \
                request.headers["authorization"]:
            return Response(401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"})
        if not user_auth and request.headers.get("authorization") != f"Bearer {BEARER}":
            return Response(401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"})
        if request.path == "/2/tweets/search/recent":
            return self.search(request.query)
        if request.path == "/2/tweets" and request.method == "GET":
            return self.lookup(request.query)
        if request.path == "/2/users/me":
            return Response(200, {"data": {"id": BOT_ID, "name": "Bot", "username": BOT_NAME}})
        if request.path == f"/2/users/{BOT_ID}/tweets":
            return self.timeline(request.query)
        if request.path == "/2/tweets" and request.method == "POST":
            body = json.loads(request.body)
            reply_to = body.get("reply", {}).get("in_reply_to_tweet_id")
            tweet_id = self.add(body["text"].replace("&", "&amp;"), author=BOT_NAME, age=0,
                                reply_to=reply_to)
            self.users[BOT_ID] = BOT_NAME
            self.tweets[int(tweet_id)]["author_id"] = BOT_ID
            return Response(201, {"data": {"id": tweet_id, "text": body["text"]}})
        return Response(404, {"title": "Not Found"})

    def _page(self, ids: list[int], query: dict[str, str], token_key: str) -> Response:
        size = int(query.get("max_results", 10))
        token = query.get(token_key)
        if token:
            if not token.startswith("older-than-"):
                return Response(400, {"errors": [{"message": "invalid next_token"}],
                                      "title": "Invalid Request"})
            ids = [i for i in ids if i < int(token.removeprefix("older-than-"))]
        ids = sorted(ids, reverse=True)
        page, rest = ids[:size], ids[size:]
        data = [self.tweets[i] for i in page]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=str(page[0]), oldest_id=str(page[-1]))
        if rest:
            meta["next_token"] = f"older-than-{page[-1]}"
        authors = {t.get("author_id") for t in data if isinstance(t, dict)}
        users = [{"id": u, "username": n, "name": n} for u, n in self.users.items() if u in authors]
        body: dict[str, Any] = {"meta": meta}
        if data:
            body["data"] = data
            body["includes"] = {"users": users}
        self.served_ids += [str(i) for i in page]
        return Response(200, body, {"x-rate-limit-remaining": "400"})

    def search(self, query: dict[str, str]) -> Response:
        ids = list(self.tweets)
        if "since_id" in query and self.tweets and int(query["since_id"]) < min(self.tweets) - 1:
            return Response(400, {  # X keeps 7 days: an older since_id is refused
                "errors": [{"parameters": {"since_id": [query["since_id"]]},
                            "message": f"Invalid 'since_id':'{query['since_id']}'. 'since_id' "
                                       "must be a tweet id created after the start time."}],
                "title": "Invalid Request", "type": "https://api.twitter.com/2/problems/invalid-request",
                "detail": "One or more parameters to your request was invalid."})
        if "since_id" in query:
            ids = [i for i in ids if i > int(query["since_id"])]
        if "start_time" in query:
            start = datetime.fromisoformat(query["start_time"])
            ids = [i for i in ids if _created(self.tweets[i]) >= start]
        ids = [i for i in ids if self.tweets[i].get("author_id") != BOT_ID]
        return self._page(ids, query, "next_token")

    def lookup(self, query: dict[str, str]) -> Response:
        """GET /2/tweets?ids=...: found posts in `data`, the others in `errors` (HTTP 200)."""
        ids = query.get("ids", "").split(",")
        self.looked_up.append(ids)
        if len(ids) > 100:
            return Response(400, {"errors": [{"message": "ids: at most 100"}],
                                  "title": "Invalid Request"})
        data, errors = [], []
        for tweet_id in ids:
            why = self.unavailable.get(tweet_id)
            known = tweet_id.isdigit() and int(tweet_id) in self.tweets
            if why is None and known:
                data.append(self.tweets[int(tweet_id)])
            elif why in ("protected", "suspended"):
                errors.append({"value": tweet_id, "resource_id": tweet_id, "parameter": "ids",
                               "resource_type": "tweet", "title": "Authorization Error",
                               "detail": f"Sorry, you are not authorized to see the Tweet "
                                         f"with ids: [{tweet_id}].",
                               "type": "https://api.twitter.com/2/problems/"
                                       "not-authorized-for-resource"})
            else:
                errors.append({"value": tweet_id, "resource_id": tweet_id, "parameter": "ids",
                               "resource_type": "tweet", "title": "Not Found Error",
                               "detail": f"Could not find tweet with ids: [{tweet_id}].",
                               "type": "https://api.twitter.com/2/problems/resource-not-found"})
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        self.served_ids += [str(t["id"]) for t in data]
        return Response(200, body, {"x-rate-limit-remaining": "400"})

    def timeline(self, query: dict[str, str]) -> Response:
        ids = [i for i, t in self.tweets.items() if t.get("author_id") == BOT_ID]
        return self._page(ids, query, "pagination_token")


@dataclass
class XWorld:
    """The fake X, a store and time that only moves when told (tests add their stages)."""

    config: Config
    store: Store
    x: FakeX
    clock: FakeClock
    wall: StreamClock

    def advance(self, span: timedelta) -> None:
        self.clock.now += span.total_seconds()
        self.x.now = self.clock.now
        self.wall.advance(datetime.fromtimestamp(self.clock.now, UTC))
