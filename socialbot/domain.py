"""Plain domain types shared by the core, the connectors and the models.

This module imports nothing from the rest of the project, so the leaf packages
(`connectors`, `models`) can depend on it without pulling in the store or CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

Platform = Literal["twitter", "reddit"]
PLATFORMS: tuple[str, ...] = ("twitter", "reddit")

Sentiment = Literal["negative", "neutral", "positive"]
SENTIMENTS: tuple[Sentiment, ...] = ("negative", "neutral", "positive")

#: Longest post text we keep; longer records are quarantined, not truncated,
#: so nobody analyses or replies to a silently shortened post.
MAX_TEXT_CHARS = 40_000


def bare_handle(handle: str) -> str:
    """An account handle without its "@" ("@Amy_Reid" -> "Amy_Reid"), case kept for display."""
    return handle.lstrip("@")


def normalise_handle(handle: str) -> str:
    """A handle as handles are compared (platforms ignore case): bare, lower case."""
    return bare_handle(handle.strip()).lower()


def utc(dt: datetime) -> datetime:
    """Return `dt` as an aware UTC datetime; naive values are taken as UTC."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Post:
    """One post or comment as a connector saw it. Identity is `(platform, id)`."""

    platform: str
    id: str
    text: str
    created_at: datetime
    author: str | None = None
    in_reply_to: str | None = None
    conversation_id: str | None = None
    url: str | None = None
    lang: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record a connector could not turn into a Post; it goes to quarantine."""

    source: str
    position: str  # e.g. "line 17" or "page abc123 item 4": where to find it again
    reason: str
    raw: str


@dataclass(frozen=True, slots=True)
class Page:
    """One unit of fetched work: posts and rejects, plus the cursor after them.

    The store writes the posts, the rejects and `cursor` in one transaction, so a
    source's cursor never runs ahead of (or behind) what was stored.
    """

    posts: list[Post]
    rejected: list[Rejected] = field(default_factory=list)
    cursor: str | None = None
    exhausted: bool = False  # True when the source has nothing more right now


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic a brand cares about, defined only by words (few-shot)."""

    name: str
    description: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicScore:
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the classifier says about one text."""

    sentiment: Sentiment
    scores: dict[str, float]  # negative/neutral/positive -> probability
    topics: list[TopicScore]  # topics above threshold, best first; ["other"] if none
    model_version: str
    #: complaint / question / none, from the need head; None for models without one
    need: str | None = None
    #: complaint/question/none -> probability (empty without a need head)
    need_scores: dict[str, float] = field(default_factory=dict)
    #: the post's embedding, the one topics are scored with (empty when the model gives none)
    embedding: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply the poster asks a connector to publish."""

    draft_id: int
    platform: str
    in_reply_to: str  # platform id of the post being answered
    text: str


#: Kinds of promise a brand may allow its drafts to make; guardrails flag the rest.
PROMISE_KINDS: tuple[str, ...] = ("refund", "compensation", "discount")


@dataclass(frozen=True, slots=True)
class BrandVoice:
    """How the brand speaks and what its drafts may say; built by the core from config.

    `facts` are statements a draft may make (opening hours, known outages ...);
    `allowed_links` are the pages a draft may link to, "prefix/*" for every page under
    one (anything else is flagged);
    `allowed_promises` lists the kinds from `PROMISE_KINDS` a draft may promise.
    """

    name: str
    tone: str = "friendly, concise and helpful"
    sign_off: str = ""
    facts: tuple[str, ...] = ()
    allowed_links: tuple[str, ...] = ()
    allowed_promises: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("BrandVoice.name must not be empty")
        unknown = sorted(set(self.allowed_promises) - set(PROMISE_KINDS))
        if unknown:
            raise ValueError(
                f"BrandVoice.allowed_promises: unknown kind(s) {unknown}; "
                f"expected some of {list(PROMISE_KINDS)}"
            )

    def may_promise(self, kind: str) -> bool:
        return kind in self.allowed_promises


@dataclass(frozen=True, slots=True)
class ReplyExample:
    """A reply the brand approved, and the post it answered: wording a draft may follow."""

    post: str
    reply: str


@dataclass(frozen=True, slots=True)
class DraftRequest:
    """One post to draft a reply to, with what the pipeline knows about it.

    `thread` holds earlier posts of the conversation, oldest first, when known, and
    `brand_in_thread` whether the brand's own account wrote one of them;
    `sentiment` and `topics` come from the classifier (None / empty when unknown).
    `examples` are approved replies to similar posts, most similar first, and
    `saved_reply` the brand's own reply for this kind of post (slots filled): both are
    shown to the model so a draft follows the brand's wording and policies.
    """

    text: str
    platform: str = "twitter"
    author: str | None = None
    thread: tuple[str, ...] = ()
    sentiment: str | None = None
    topics: tuple[str, ...] = field(default_factory=tuple)
    examples: tuple[ReplyExample, ...] = ()
    brand_in_thread: bool = False
    saved_reply: str | None = None
