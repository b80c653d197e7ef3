"""Turn one raw Reddit listing child (`{"kind": "t3"|"t1", "data": {...}}`) into a Post."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from socialbot.domain import MAX_TEXT_CHARS, Post

_BASE36 = re.compile(r"^[0-9a-z]+$")
_DELETED = {"[deleted]", "[removed]"}


def fullname_key(child: Any) -> str | None:
    """The child's fullname (`t3_abc`), or None when it has no usable one."""
    if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
        return None
    kind, data = child.get("kind"), child["data"]
    base36 = data.get("id")
    if kind not in ("t1", "t3") or not isinstance(base36, str) or not _BASE36.match(base36):
        return None
    return f"{kind}_{base36}"


def is_newer(child: Any, than: str) -> bool:
    """Whether `child` was created after the item named `than` (ids grow in base 36)."""
    name = fullname_key(child)
    if name is None:
        return False
    base36 = than.partition("_")[2]
    if not _BASE36.match(base36 or "-"):
        return True
    return int(name[3:], 36) > int(base36, 36)


def to_post(child: Any) -> Post:
    """Build the Post, or raise ValueError saying what is wrong with the item."""
    name = fullname_key(child)
    if name is None:
        raise ValueError("not a submission or comment with an id")
    data = child["data"]
    try:
        created_at = datetime.fromtimestamp(float(data["created_utc"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise ValueError(f"bad created_utc {data.get('created_utc')!r}") from None
    if name.startswith("t3_"):
        title, selftext = data.get("title"), data.get("selftext") or ""
        if not isinstance(title, str) or not isinstance(selftext, str):
            raise ValueError("submission without a title")
        text = f"{title}\n\n{selftext}" if selftext.strip() else title
        in_reply_to, conversation = None, name
    else:
        body, parent, link = data.get("body"), data.get("parent_id"), data.get("link_id")
        if not isinstance(body, str):
            raise ValueError("comment without a body")
        if not isinstance(parent, str) or not isinstance(link, str):
            raise ValueError("comment without parent_id/link_id")
        text, in_reply_to, conversation = body, parent, link
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"text longer than {MAX_TEXT_CHARS} characters")
    author = data.get("author")
    permalink = data.get("permalink")
    return Post(
        platform="reddit", id=name, text=text, created_at=created_at,
        author=author if isinstance(author, str) and author not in _DELETED else None,
        in_reply_to=in_reply_to, conversation_id=conversation,
        url=f"https://www.reddit.com{permalink}" if isinstance(permalink, str) else None,
        lang=None,
    )
