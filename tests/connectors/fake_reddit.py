"""A fake Reddit OAuth API (token, listings, search, comment, me) for praw to call."""

from __future__ import annotations

import base64
import random
from collections import deque
from typing import Any

from tests.connectors.conftest import Request, Response

ENV = {
    "REDDIT_CLIENT_ID": "fakeClientId",
    "REDDIT_CLIENT_SECRET": "fakeClientSecret-0123456789",
    "REDDIT_USERNAME": "brandbot",
    "REDDIT_PASSWORD": "fakePassword-hunter2",
    "REDDIT_USER_AGENT": "socialbot-tests/0.1 by u/brandbot",
}
ACCESS_TOKEN = "fakeAccessToken-abcdef"
INVALID_TOKEN = {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'}


def b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


class FakeReddit:
    """Submissions and comments by creation order; listings answer `before` like Reddit."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.items: dict[str, dict[str, Any]] = {}  # fullname -> child, creation order
        self.counter = int("abc000", 36)
        self.requests: list[Request] = []
        self.faults: deque[Response] = deque()
        self.token_faults: deque[Response] = deque()
        # answered instead of success after a comment was stored: Reddit acted, then failed
        self.after_comment: deque[Response] = deque()
        self.fault_rate, self.rng = 0.0, random.Random(11)
        self.fault_choices: list[Response] = []
        self.served: list[str] = []
        #: the client's standing every listing reports (Reddit counts per client id)
        self.limits = {"x-ratelimit-remaining": "590", "x-ratelimit-used": "10",
                       "x-ratelimit-reset": "300"}
        #: answered to every API call (not token requests) while set: a subreddit gone private
        self.outage: Response | None = None
        #: the fullnames each /api/info lookup asked for
        self.looked_up: list[list[str]] = []

    def _new(self, kind: str, data: dict[str, Any]) -> str:
        self.counter += 1
        base36 = b36(self.counter)
        name = f"{kind}_{base36}"
        self.items[name] = {"kind": kind, "data": {"id": base36, "name": name,
                                                   "created_utc": self.now, **data}}
        return name

    def submission(self, title: str = "", *, sub: str = "acme", author: str = "jane",
                   selftext: str = "") -> str:
        return self._new("t3", {"title": title or f"post {self.counter + 1} about acme",
                                "selftext": selftext, "subreddit": sub, "author": author,
                                "permalink": f"/r/{sub}/comments/{b36(self.counter + 1)}/x/"})

    def comment(self, parent: str, body: str = "", *, author: str = "joe") -> str:
        pdata = self.items[parent]["data"]
        link = parent if parent.startswith("t3_") else pdata["link_id"]
        sub = pdata["subreddit"]
        permalink = f"/r/{sub}/comments/{link[3:]}/x/{b36(self.counter + 1)}/"
        return self._new("t1", {"body": body or f"comment {self.counter + 1}", "author": author,
                                "parent_id": parent, "link_id": link, "subreddit": sub,
                                "permalink": permalink})

    def raw(self, kind: str, data: dict[str, Any], sub: str = "acme") -> str:
        self.counter += 1
        name = f"{kind}_{b36(self.counter)}"
        self.items[name] = {"kind": kind, "data": {"id": b36(self.counter), "subreddit": sub,
                                                   **data}}
        return name

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        path = request.path.rstrip("/")
        if path == "/api/v1/access_token":  # `faults` are for API calls; these for tokens
            return self.token_faults.popleft() if self.token_faults else self.token(request)
        if self.faults:
            return self.faults.popleft()
        if self.outage is not None:
            return self.outage
        if self.fault_rate and self.rng.random() < self.fault_rate:
            return self.rng.choice(self.fault_choices)
        if request.headers.get("authorization") != f"bearer {ACCESS_TOKEN}":
            return Response(401, {"message": "Unauthorized", "error": 401}, INVALID_TOKEN)
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "r" and parts[2] in ("new", "comments"):
            subs = set(parts[1].lower().split("+"))
            kind = "t3" if parts[2] == "new" else "t1"
            return self.listing(lambda n, d: n.startswith(kind) and (
                subs == {"all"} or str(d.get("subreddit")).lower() in subs), request.query)
        if path == "/search":
            words = [w.strip('"').lower() for w in request.query["q"].split(" OR ")]
            return self.listing(lambda n, d: n.startswith("t3") and any(
                w in str(d.get("title", "")).lower() for w in words), request.query)
        if path == f"/user/{ENV['REDDIT_USERNAME']}/comments":
            return self.listing(lambda n, d: d.get("author") == "brandbot", request.query)
        if path == "/api/info":  # existing things only, as Reddit answers
            self.looked_up.append(request.query.get("id", "").split(","))
            found = [self.items[n] for n in self.looked_up[-1] if n in self.items]
            return Response(200, {"kind": "Listing", "data": {"children": found}},
                            dict(self.limits))
        if path == "/api/v1/me":
            return Response(200, {"name": ENV["REDDIT_USERNAME"], "id": "bot1"})
        if path == "/api/comment" and request.method == "POST":
            form = request.form()
            name = self.comment(form["thing_id"], form["text"], author="brandbot")
            if self.after_comment:
                return self.after_comment.popleft()
            return Response(200, {"json": {"errors": [], "data": {"things": [self.items[name]]}}})
        return Response(404, {"message": "Not Found", "error": 404})

    def token(self, request: Request) -> Response:
        expected = base64.b64encode(
            f"{ENV['REDDIT_CLIENT_ID']}:{ENV['REDDIT_CLIENT_SECRET']}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Response(401, {"message": "Unauthorized", "error": 401})
        form = request.form()
        if form.get("grant_type") == "password" and (
                form.get("username"), form.get("password")) != (
                ENV["REDDIT_USERNAME"], ENV["REDDIT_PASSWORD"]):
            return Response(200, {"error": "invalid_grant"})
        return Response(200, {"access_token": ACCESS_TOKEN, "token_type": "bearer",
                              "expires_in": 86400, "scope": "*"})

    def listing(self, match: Any, query: dict[str, str]) -> Response:
        limit = int(query.get("limit", 25))
        order = list(self.items)  # creation order, so ids ascend
        before = query.get("before")
        page: list[str] = []
        if before:  # the `limit` items just newer than `before`; none if it is gone
            if before in self.items and match(before, self.items[before]["data"]):
                for name in order[order.index(before) + 1:]:
                    if match(name, self.items[name]["data"]):
                        page.append(name)
                        if len(page) == limit:
                            break
            page.reverse()
        else:
            for name in reversed(order):
                if match(name, self.items[name]["data"]):
                    page.append(name)
                    if len(page) == limit:
                        break
        self.served += page
        children = [self.items[n] for n in page]  # newest first
        return Response(200, {"kind": "Listing", "data": {
            "after": page[-1] if page else None, "before": page[0] if page else None,
            "children": children, "dist": len(children)}}, dict(self.limits))
