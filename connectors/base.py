"""The small base class every connector implements, and lookup by kind name.

The core finds a connector by the `kind` named in config and never imports a
platform SDK itself; connector modules import their SDK lazily. What is true of a
platform (its name, reply length limit, credential variables, online check) is a
class attribute of its connector, read by the core through `platform_connector`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from socialbot.domain import Page, Reply
from socialbot.errors import ConnectorError


class SourceStopped(ConnectorError):
    """The source cannot go on without a person (bad credential, wrong tier).

    The message names what to fix and never contains a secret.
    """


class CredentialsMissing(SourceStopped):
    """Environment variables the source needs are unset; `variables` names them.

    Checking them sends no request, so the source is tried again at every poll
    and starts as soon as they are set.
    """

    def __init__(self, message: str, *, variables: tuple[str, ...]) -> None:
        super().__init__(message)
        self.variables = variables


class BadOptions(ConnectorError, ValueError):
    """A source's `options` in config are wrong; the message names the source and key.

    Raised from a connector's constructor, so bad configuration stops start-up.
    """


class RateLimited(ConnectorError):
    """The platform asked us to wait; `retry_at` is a UNIX timestamp."""

    def __init__(self, message: str, *, retry_at: float) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class TransientError(ConnectorError):
    """A failure worth retrying later (5xx, timeout, connection reset).

    `retry_after` is how many seconds the server asked us to wait, when it said
    (a short `Retry-After`); retries in place wait at least that long.
    """

    def __init__(self, message: str = "", *, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


#: what credentials are for: reading posts, or also posting replies
Purpose = Literal["read", "post"]


@dataclass(frozen=True, slots=True)
class Variable:
    """One environment variable a platform needs, and where a person gets its value."""

    name: str
    where: str
    secret: bool = True


@dataclass(frozen=True, slots=True)
class PostLookup:
    """What the platform said about stored posts looked up by id."""

    #: still there: returned, and billed as read
    available: tuple[str, ...] = ()
    #: no longer available to us (deleted, made private, author suspended)
    gone: tuple[str, ...] = ()


class Connector(ABC):
    """A source of posts, and optionally a way to reply on its platform.

    `fetch` is given the cursor stored after the previous page and returns the
    next Page. It must be safe to call again with the same cursor after a crash:
    the store dedupes on `(platform, id)`.
    """

    #: the config `kind` this connector answers to
    kind: ClassVar[str]
    #: the fewest posts one fetch can ask the platform for (a read budget stops above it)
    smallest_page: ClassVar[int] = 1
    #: a live feed, where a long silence means something broke (a file just ends)
    live: ClassVar[bool] = True
    #: the `platform` of the posts it fetches and replies on (a replay file's posts
    #: each name their own: None)
    platform: ClassVar[str | None] = None
    #: the platform's name as people know it, for messages
    display_name: ClassVar[str] = ""
    #: the longest reply the platform takes, as `reply_length` counts it
    reply_limit: ClassVar[int | None] = None
    #: environment variables needed to read, and the extra ones needed to post
    credentials: ClassVar[Mapping[Purpose, tuple[Variable, ...]]] = {}

    @classmethod
    def reply_length(cls, text: str) -> int:
        """The length the platform counts for `text` against `reply_limit`."""
        return len(text)

    @classmethod
    def check_online(cls, *, posting: bool = False, env: Mapping[str, str] | None = None,
                     base_url: str | None = None) -> list[str]:
        """One cheap request with the credentials in `env` (and, for `posting`, a
        who-am-I); returns what a person should read, raises ConnectorError as `fetch`
        does. Used by `socialbot doctor --online`."""
        raise ConnectorError(f"connector {cls.kind!r} has no online check")
    #: the most post ids one `lookup_posts` call takes
    lookup_size: ClassVar[int] = 100

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.name = name
        self.options = options

    @abstractmethod
    def fetch(self, cursor: str | None, *, limit: int) -> Page:
        """Return up to `limit` posts after `cursor`."""

    def reply(self, reply: Reply) -> str:
        """Publish `reply` and return the platform's id for it."""
        raise ConnectorError(f"connector {self.kind!r} cannot post replies")

    def find_own_reply(self, reply: Reply) -> str | None:
        """Return the platform id of a reply we already posted for `reply`, if any.

        The poster records `posting` before calling `reply` and `posted` after. If
        the process dies in between, it cannot know whether the platform got the
        reply; it asks this method (which looks through the bot account's recent
        replies for one to `reply.in_reply_to` with the same text) before trying
        again, so nothing is posted twice. A connector that cannot post has no
        replies of its own, hence the default `None`.
        """
        return None

    def check_access(self) -> str:
        """One cheap request proving this source can be read with the credentials and
        access level at hand; returns what worked, raises ConnectorError as `fetch` does."""
        raise ConnectorError(f"connector {self.kind!r} has no online check")

    def posting_account(self) -> str:
        """The account replies are posted as (one cheap request), e.g. "@brandbot"."""
        raise ConnectorError(f"connector {self.kind!r} cannot post replies")

    def lookup_posts(self, ids: Sequence[str]) -> PostLookup:
        """Ask the platform which of these posts (at most `lookup_size`) are still
        available, for the compliance check; raises ConnectorError as `fetch` does."""
        raise ConnectorError(f"connector {self.kind!r} cannot look posts up")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or sessions; the default has nothing to release."""


#: kind -> "module:Class"; imported only when a source of that kind is configured
CONNECTOR_KINDS: dict[str, str] = {
    "replay": "connectors.replay:ReplayConnector",
    "twitter": "connectors.twitter:TwitterConnector",
    "reddit": "connectors.reddit:RedditConnector",
}


def connector_class(kind: str) -> type[Connector]:
    """Import and return the Connector class for a config `kind`."""
    try:
        target = CONNECTOR_KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(CONNECTOR_KINDS))
        raise ConnectorError(f"unknown source kind {kind!r} (known: {known})") from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    assert issubclass(cls, Connector)
    return cls


def platform_connector(platform: str) -> type[Connector]:
    """The connector class holding the facts of `platform` ("twitter", "reddit")."""
    cls = connector_class(platform)
    if cls.platform != platform:
        raise ConnectorError(f"{platform!r} is a source kind, not a platform")
    return cls
