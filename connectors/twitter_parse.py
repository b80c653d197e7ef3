"""X API v2 JSON -> domain Posts, and the search cursor the X connector stores.

The cursor is JSON, so a crash mid-pagination resumes on the same page:
`{"since_id": str|null, "start_time": str|null, "next_token": str|null,
"newest_id": str|null}`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from connectors.base import ConnectorError
from socialbot.domain import MAX_TEXT_CHARS, Post, utc


@dataclass(frozen=True, slots=True)
class SearchCursor:
    """Where a source stands in its current search pass."""

    since_id: str | None = None
    start_time: str | None = None  # only while a first-run (backfill) pass is paging
    next_token: str | None = None
    newest_id: str | None = None  # newest id seen in the pass so far

    @classmethod
    def load(cls, text: str | None) -> SearchCursor:
        if not text:
            return cls()
        try:
            raw = json.loads(text)
            return cls(**{k: raw.get(k) for k in ("since_id", "start_time", "next_token",
                                                   "newest_id")})
        except (ValueError, TypeError, AttributeError):
            raise ConnectorError(f"unreadable X cursor {text[:80]!r}") from None

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def newer_id(a: str | None, b: str | None) -> str | None:
    ids = [x for x in (a, b) if x and x.isdigit()]
    return max(ids, key=int) if ids else None


def tweet_to_post(item: Any, users: Mapping[str, str]) -> Post:
    if not isinstance(item, dict):
        raise ValueError("item is not a JSON object")
    tweet_id, text, created = item.get("id"), item.get("text"), item.get("created_at")
    if not isinstance(tweet_id, str) or not tweet_id.isdigit():
        raise ValueError("missing or non-numeric id")
    if not isinstance(text, str):
        raise ValueError("missing text")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"text longer than {MAX_TEXT_CHARS} characters")
    try:
        created_at = utc(datetime.fromisoformat(str(created)))
    except (ValueError, OverflowError):  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise ValueError(f"bad created_at {created!r}") from None
    author = users.get(str(item.get("author_id")))
    replied = [r.get("id") for r in item.get("referenced_tweets") or []
               if isinstance(r, dict) and r.get("type") == "replied_to"]
    conversation = item.get("conversation_id")
    lang = item.get("lang")
    return Post(
        platform="twitter", id=tweet_id, text=html.unescape(text), created_at=created_at,
        author=author, in_reply_to=str(replied[0]) if replied and replied[0] else None,
        conversation_id=str(conversation) if conversation else None,
        url=f"https://x.com/{author or 'i/web'}/status/{tweet_id}",
        lang=lang if isinstance(lang, str) else None,
    )


def same_text(posted: str, wanted: str) -> bool:
    """Whether X's copy of a tweet is the text we sent (X escapes HTML and wraps links)."""
    def norm(s: str) -> str:
        s = re.sub(r"https?://\S+", "<link>", html.unescape(s))
        return " ".join(s.split())
    return norm(posted) == norm(wanted)
