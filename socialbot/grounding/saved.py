"""Saved replies in the store: seeded from config, added from the queue, matched to posts.

config.toml is the truth for the saved replies it lists (edited there, they change here
on the next start of the draft stage or the queue; removed there, they go); the ones a
moderator saved from the queue live only in the database.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from socialbot.config import Config, WatchConfig
from socialbot.errors import ConfigError
from socialbot.grounding.slots import fill, post_values, slot_errors
from socialbot.store.grounding import SAVED_REPLIES

logger = logging.getLogger(__name__)

#: what a post wants, as saved replies are keyed
INTENTS: tuple[str, ...] = ("complaint", "question", "praise")
FROM_CONFIG = "config"
FROM_QUEUE = "queue"


class SavedReplyError(ValueError):
    """A saved reply cannot be stored as asked; the message says why, for a person."""


@dataclass(frozen=True, slots=True)
class SavedReply:
    id: int
    watch: str
    name: str
    topic: str
    intent: str
    text: str
    source: str
    #: a post must contain one of these to get the reply as is (config's `keywords`)
    keywords: tuple[str, ...] = ()
    #: the post a moderator saved it from: posts like it get the reply as is
    post_pk: int | None = None


def intent_of(reason: str | None, sentiment: str | None) -> str | None:
    """A post's intent from the reply policy's reason for drafting it (or its sentiment).

    "negative" counts as a complaint: without the need head, that is what one looks like.
    """
    if reason in ("complaint", "negative"):
        return "complaint"
    if reason == "question":
        return "question"
    if sentiment == "positive":
        return "praise"
    return None


def seed(conn: Connection, watches: Sequence[WatchConfig], *, now: datetime) -> None:
    """Make the store's config-sourced saved replies match `[[watch.saved_reply]]`."""
    for watch in watches:
        stored = {
            r.name: r for r in conn.execute(
                select(SAVED_REPLIES).where(SAVED_REPLIES.c.watch == watch.name)
            ).all()
        }
        wanted = {s.name for s in watch.saved_reply}
        for saved in watch.saved_reply:
            values = {"topic": saved.topic, "intent": saved.intent, "text": saved.text,
                      "keywords": json.dumps(saved.keywords) if saved.keywords else None,
                      "post_pk": None, "source": FROM_CONFIG}
            row = stored.get(saved.name)
            if row is None:
                conn.execute(insert(SAVED_REPLIES).values(
                    watch=watch.name, name=saved.name, created_by="config.toml",
                    created_at=now, updated_at=now, **values))
            elif any(getattr(row, k) != v for k, v in values.items()):
                conn.execute(update(SAVED_REPLIES).where(SAVED_REPLIES.c.id == row.id)
                             .values(updated_at=now, **values))
        gone = [r.id for name, r in stored.items()
                if r.source == FROM_CONFIG and name not in wanted]
        if gone:
            conn.execute(delete(SAVED_REPLIES).where(SAVED_REPLIES.c.id.in_(gone)))


def saved_replies(conn: Connection, watch: str | None = None) -> list[SavedReply]:
    """The saved replies of `watch` (of every watch when None), oldest first."""
    query = select(SAVED_REPLIES).order_by(SAVED_REPLIES.c.id)
    if watch is not None:
        query = query.where(SAVED_REPLIES.c.watch == watch)
    return [_saved(r) for r in conn.execute(query).all()]


def saved_reply_names(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(select(SAVED_REPLIES.c.id, SAVED_REPLIES.c.name)
                        .where(SAVED_REPLIES.c.id.in_(list(ids)))).all()
    return {r.id: r.name for r in rows}


def save_reply(
    conn: Connection, *, watch: str, name: str, topic: str, intent: str, text: str,
    post_pk: int | None, created_by: str, now: datetime,
) -> SavedReply:
    """Store a new saved reply from the queue, saved from the post `post_pk`; a clash or
    a bad slot raises SavedReplyError."""
    name, text = " ".join(name.split()), text.strip()
    if not name:
        raise SavedReplyError("a saved reply needs a name")
    if len(name) > 100:
        raise SavedReplyError("a saved reply's name is at most 100 characters")
    if not text:
        raise SavedReplyError("an empty reply cannot be saved")
    if intent not in INTENTS:
        raise SavedReplyError(f"unknown intent {intent!r}; use one of {', '.join(INTENTS)}")
    errors = slot_errors(text)
    if errors:
        raise SavedReplyError("; ".join(errors))
    clash = conn.execute(select(SAVED_REPLIES.c.id).where(
        SAVED_REPLIES.c.watch == watch, SAVED_REPLIES.c.name == name)).first()
    if clash is not None:
        raise SavedReplyError(f"watch {watch!r} already has a saved reply called {name!r}")
    new_id = conn.execute(insert(SAVED_REPLIES).values(
        watch=watch, name=name, topic=topic, intent=intent, text=text, post_pk=post_pk,
        source=FROM_QUEUE, created_by=created_by, created_at=now, updated_at=now,
    ).returning(SAVED_REPLIES.c.id)).scalar_one()
    logger.info("%s saved reply %r for %s (%s, %s)", created_by, name, watch, topic, intent)
    return SavedReply(int(new_id), watch, name, topic, intent, text, FROM_QUEUE, (), post_pk)


#: the author a configured saved reply is tried on: a handle with a first name in it
SAMPLE_AUTHOR = "amy_reid"


def unsendable(watch: WatchConfig) -> list[str]:
    """Why each of the watch's configured saved replies could never be sent as is, one
    line per reply and platform ("saved_reply[1] (refunds) on twitter: ..."); [] when
    every one could.

    A saved reply that fits a post is still checked by the guardrails before it becomes
    the draft (`grounder.propose_saved`); one that fails them (too long for the platform,
    a link or a refund the voice does not allow) silently goes to the generator instead,
    every time. Tried here on a typical author, with the brand's sign-off.
    """
    from socialbot.drafting.guardrails import check, sign
    from socialbot.drafting.policy import brand_voice

    voice = brand_voice(watch)
    problems = []
    for i, saved in enumerate(watch.saved_reply):
        text = fill(saved.text, post_values(SAMPLE_AUTHOR, voice.name)) or saved.text
        for platform in watch.reply.platforms:
            flags = check(sign(text, voice), post_text="", platform=platform, voice=voice)
            if flags:
                problems.append(f"saved_reply[{i}] ({saved.name}) on {platform}: "
                                + "; ".join(f.reason for f in flags))
    return problems


def check_saved_replies(config: Config) -> None:
    """Refuse a config with a saved reply the guardrails would always stop: it names the
    first such reply, and how many more there are."""
    problems = [f"watch[{w}].{line}" for w, watch in enumerate(config.watch)
                if watch.reply.enabled for line in unsendable(watch)]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{config.path or 'config'}: {problems[0]}{more}: the guardrails "
                          "would stop it every time; edit its text or [watch.voice]")


def matching(saved: Sequence[SavedReply], *, topic: str, intent: str | None) -> list[SavedReply]:
    """The saved replies for `topic` and `intent`, oldest first."""
    return [reply for reply in saved if reply.topic == topic and reply.intent == intent]


#: a keyword this close after one of these words is denied, not reported: "never had a
#: late delivery" is praise, and the "sorry your order is late" reply would insult it
_NEGATED = re.compile(r"\b(?:never|no|not|without)\W+(?:\w+\W+){0,2}$", re.IGNORECASE)


def mentions_a_keyword(text: str, keywords: Sequence[str]) -> bool:
    """Whether `text` contains one of `keywords` as whole words, ignoring case, other
    than right after a negation (at most two words between: "no late deliveries",
    "never had a late one")."""
    for keyword in (k.strip() for k in keywords):
        if not keyword:
            continue
        for match in re.finditer(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE):
            if not _NEGATED.search(text, 0, match.start()):
                return True
    return False


def _saved(r: Row[Any]) -> SavedReply:
    keywords = tuple(json.loads(r.keywords)) if r.keywords else ()
    return SavedReply(int(r.id), r.watch, r.name, r.topic, r.intent, r.text, r.source,
                      keywords, r.post_pk)
