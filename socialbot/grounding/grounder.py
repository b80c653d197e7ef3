"""What a draft stands on: the matching saved reply, sent as is when it fits, and the
approved replies to the most similar posts, shown to the generator otherwise."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Connection, select

from socialbot.domain import BrandVoice, DraftRequest, ReplyExample
from socialbot.drafting.drafter import DraftResult
from socialbot.drafting.guardrails import check, sign
from socialbot.drafting.policy import is_question
from socialbot.grounding.examples import Example, nearest_examples
from socialbot.grounding.saved import (
    SavedReply,
    intent_of,
    matching,
    mentions_a_keyword,
    saved_replies,
)
from socialbot.grounding.slots import fill, first_name, handle_first_word, post_values
from socialbot.grounding.vectors import cosine
from socialbot.store.drafts import DRAFT_DECISIONS
from socialbot.store.predictions import PREDICTIONS

#: `generator_version` of a draft that is a saved reply sent as is (no model involved)
SAVED_REPLY_VERSION = "saved-reply"


@dataclass(frozen=True, slots=True)
class Grounding:
    """Where one draft comes from: a saved reply (`filled` is its text with the post's
    slots filled, None when one cannot be; `as_is` when it fits the post well enough to
    be the draft) and the approved examples its prompt carries."""

    saved_reply: SavedReply | None = None
    filled: str | None = None
    as_is: bool = False
    examples: tuple[Example, ...] = ()

    def columns(self) -> dict[str, object]:
        """`drafts.saved_reply_id` and `drafts.example_ids` for this grounding."""
        return {
            "saved_reply_id": self.saved_reply.id if self.saved_reply else None,
            "example_ids": (json.dumps([e.draft_id for e in self.examples])
                            if self.examples else None),
        }


#: a post this similar (cosine of the classifier's embeddings) to the one a saved reply
#: was saved from is the same kind of post; a paraphrase scores above 0.7, another
#: problem on the same topic ("parked on my drive" vs "two days late") well below
SAVED_SIMILARITY = 0.6


def fits_as_is(request: DraftRequest, saved: SavedReply) -> bool:
    """Whether the post needs nothing a saved reply cannot give: not a turn in a
    conversation the brand has joined (its answer must follow what was said), on the
    saved reply's topic alone, and asking nothing (a question wants its own answer),
    unless the saved reply is the brand's answer to that question: one for questions,
    with the `keywords` that say which ("sunday", "apple pay").

    A comment under another user's post, or "@friend same here, courier never showed
    @brand", is the author's first word to the brand: it fits as a post on its own would.
    """
    topics = request.topics or ("other",)
    if request.brand_in_thread or topics != (saved.topic,):
        return False
    if saved.intent == "question":
        return bool(saved.keywords)
    return not is_question(request.text)


def resembles(saved: SavedReply, text: str, similarity: float | None) -> bool:
    """Whether the post is the kind the saved reply was written for: it contains one of
    the saved reply's keywords, or is similar to the post it was saved from (`similarity`,
    None when either embedding is missing); one with neither fits every post on its topic."""
    if saved.keywords:
        return mentions_a_keyword(text, saved.keywords)
    if saved.post_pk is not None:
        return similarity is not None and similarity >= SAVED_SIMILARITY
    return True


@dataclass(frozen=True, slots=True)
class GroundedBatch:
    """A batch of requests grounded: the drafts that are saved replies as they are, and
    the requests (with examples and saved reply) left for the generator."""

    grounding: dict[int, Grounding]
    requests: dict[int, DraftRequest]
    proposed: dict[int, DraftResult]


class Grounder:
    """Grounds the draft stage's requests; `k` approved examples per post at most."""

    def __init__(self, *, k: int) -> None:
        self.k = k

    def ground_batch(
        self, conn: Connection, by_watch: Mapping[str, Sequence[int]],
        requests: Mapping[int, DraftRequest], voices: Mapping[str, BrandVoice],
    ) -> GroundedBatch:
        """Ground every request (post_pk -> request), watch by watch."""
        grounding: dict[int, Grounding] = {}
        grounded: dict[int, DraftRequest] = {}
        proposed: dict[int, DraftResult] = {}
        for watch, pks in by_watch.items():
            voice = voices[watch]
            found = self.ground(conn, watch, {pk: requests[pk] for pk in pks}, voice)
            for pk in pks:
                result = propose_saved(requests[pk], found[pk], voice)
                if result is not None:
                    proposed[pk] = result
                    # the text is the saved reply's alone: no example shaped it
                    found[pk] = replace(found[pk], examples=())
                grounding[pk] = found[pk]
                grounded[pk] = grounded_request(requests[pk], found[pk])
        return GroundedBatch(grounding, grounded, proposed)

    def ground(
        self, conn: Connection, watch: str, requests: Mapping[int, DraftRequest], voice: BrandVoice
    ) -> dict[int, Grounding]:
        """post_pk -> its grounding, for posts of `watch` (their requests by post_pk)."""
        pks = list(requests)
        facts = {r.post_pk: r for r in conn.execute(
            select(PREDICTIONS.c.post_pk, PREDICTIONS.c.embedding, PREDICTIONS.c.sentiment,
                   DRAFT_DECISIONS.c.reason)
            .outerjoin(DRAFT_DECISIONS, DRAFT_DECISIONS.c.post_pk == PREDICTIONS.c.post_pk)
            .where(PREDICTIONS.c.post_pk.in_(pks))
        ).all()}
        saved = saved_replies(conn, watch)
        origins = _embeddings(conn, [s.post_pk for s in saved if s.post_pk is not None])
        found = nearest_examples(
            conn, watch=watch, k=self.k,
            embeddings=[facts[pk].embedding if pk in facts else None for pk in pks],
        )
        out = {}
        for pk, examples in zip(pks, found, strict=True):
            request = requests[pk]
            fact = facts.get(pk)
            intent = intent_of(fact.reason, fact.sentiment) if fact else None
            candidates = matching(saved, topic=(request.topics or ("other",))[0], intent=intent)
            alike = [s for s in candidates if resembles(s, request.text, cosine(
                fact.embedding if fact else None, origins.get(s.post_pk or 0)))]
            # the one written for posts like this; else the topic's first, as a hint
            reply = next(iter(alike or candidates), None)
            text = fill(reply.text, post_values(request.author, voice.name)) if reply else None
            as_is = (reply is not None and reply in alike and text is not None
                     and fits_as_is(request, reply))
            out[pk] = Grounding(reply, text, as_is, tuple(examples))
        return out


def _embeddings(conn: Connection, post_pks: Sequence[int]) -> dict[int, bytes]:
    if not post_pks:
        return {}
    rows = conn.execute(select(PREDICTIONS.c.post_pk, PREDICTIONS.c.embedding)
                        .where(PREDICTIONS.c.post_pk.in_(list(post_pks)),
                               PREDICTIONS.c.embedding.is_not(None))).all()
    return {r.post_pk: r.embedding for r in rows}


def grounded_request(request: DraftRequest, grounding: Grounding) -> DraftRequest:
    """`request` with its examples and saved reply, as the generator is shown them."""
    saved_text = None
    if grounding.saved_reply is not None:
        saved_text = grounding.filled or grounding.saved_reply.text
    return replace(
        request,
        examples=tuple(ReplyExample(e.post, readdressed(e.reply, e.author, request.author))
                       for e in grounding.examples),
        saved_reply=saved_text,
    )


def readdressed(reply: str, was: str | None, now: str | None) -> str:
    """An example reply as it would read to the new post's author: a small model copies
    the names it is shown, and "Hi Amy" must not reach Bob."""
    if not was:
        return reply
    if now:
        reply = re.sub(rf"(?<![\w@])@{re.escape(was)}(?!\w)", f"@{now}", reply,
                       flags=re.IGNORECASE)
    # whatever the moderator greeted the old author by, the list of given names aside
    name = handle_first_word(was)
    if name:
        reply = re.sub(rf"\b{re.escape(name)}\b", first_name(now) or "there", reply)
    return reply


def propose_saved(
    request: DraftRequest, grounding: Grounding, voice: BrandVoice
) -> DraftResult | None:
    """The saved reply as the draft, when it fits the post and passes the guardrails.

    A canned reply is meant to repeat, so the duplicate check does not apply; any other
    flag (too long for the platform, a link the voice does not allow) sends the post to
    the generator instead, with the saved reply in its prompt.
    """
    if not grounding.as_is or grounding.filled is None:
        return None
    text = sign(grounding.filled, voice)
    if check(text, post_text=request.text, platform=request.platform, voice=voice):
        return None
    return DraftResult(request=request, text=text, flags=(), attempts=0, seed=0,
                       model_version=SAVED_REPLY_VERSION, raw=grounding.filled)


def example_summary(saved_name: str | None, examples: Sequence[int], *, as_is: bool) -> str:
    """What a queue card says about a draft's source (empty for an ungrounded draft)."""
    if as_is and saved_name is not None:
        return f"from saved reply '{saved_name}'"
    parts = []
    if saved_name is not None:
        parts.append(f"saved reply '{saved_name}'")
    if examples:
        n = len(examples)
        parts.append(f"{n} approved example{'s' if n != 1 else ''}")
    return "with " + " and ".join(parts) if parts else ""
