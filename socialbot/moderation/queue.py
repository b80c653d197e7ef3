"""The moderation queue's logic: claim a pending draft, decide it, undo; no UI here.

Two moderators never act on the same draft: a draft is claimed with
`UPDATE ... WHERE claimed_by IS NULL OR claim_expires_at < now` (after a
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL), and every decision goes through
`socialbot.store.lifecycle`, guarded by "still pending and still claimed by me", so a
lost claim fails loudly instead of deciding twice.
"""

from __future__ import annotations

import getpass
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select

from socialbot.clock import Clock, WallClock
from socialbot.config import Config
from socialbot.domain import BrandVoice, normalise_handle
from socialbot.drafting.candidates import thread_of, topics_of
from socialbot.drafting.drafter import DraftResult
from socialbot.drafting.guardrails import TOO_LONG, Flag, check, flags_json
from socialbot.drafting.priority import ranked, stream_now
from socialbot.errors import QueueError
from socialbot.grounding.grounder import SAVED_REPLY_VERSION, example_summary
from socialbot.grounding.saved import (
    SavedReply,
    SavedReplyError,
    intent_of,
    save_reply,
    saved_reply_names,
)
from socialbot.moderation.corrections import (
    Correction,
    needs_no_reply,
    record_correction,
    record_no_reply,
    starting_point,
)
from socialbot.store import Store, lifecycle
from socialbot.store.brand_replies import brand_replies
from socialbot.store.drafts import DRAFT_DECISIONS, DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.store.labels import LabelError, model_said
from socialbot.store.lifecycle import DraftStatus
from socialbot.store.predictions import PREDICTIONS

logger = logging.getLogger(__name__)


class ClaimLost(QueueError):
    """The draft is no longer claimed by this moderator (claim expired, or decided)."""


@dataclass(frozen=True, slots=True)
class ThreadPost:
    author: str | None
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A claimed draft with everything a moderator needs to decide it."""

    draft_id: int
    watch: str | None
    platform: str
    post_id: str
    author: str | None
    post_text: str
    url: str | None
    posted_at: datetime
    sentiment: str | None
    topics: tuple[str, ...]
    thread: tuple[ThreadPost, ...]
    text: str
    flags: tuple[dict[str, str], ...]
    attempts: int
    seed: int
    generator_version: str
    claim_expires_at: datetime
    #: replies to the post by the brand's own accounts stored since it was drafted
    brand_replies: tuple[ThreadPost, ...] = ()
    #: the classifier's probability for `sentiment`: how sure it was
    sentiment_confidence: float | None = None
    #: the reply policy's reason for drafting ("mentions @acme; negative sentiment (delivery)")
    why_drafted: str | None = None
    #: the policy's reason code ("complaint", "question", ...): the post's intent
    reason: str | None = None
    #: where the text came from: "from saved reply 'late delivery'", "with 3 approved
    #: examples", or "" for a draft the model wrote from the post alone
    source: str = ""
    #: the answered post's row id (a saved reply remembers the post it was saved from)
    post_pk: int | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    pending: int
    approved_today: int
    rejected_today: int
    #: approved drafts the poster gave up on (refused, or never confirmed): a person
    #: must look at each (`socialbot drafts --status failed`)
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _Action:
    kind: str  # approve | reject | skip | regenerate
    draft_id: int
    #: what a regenerate replaced: text, flags, attempts, seed and where the text came from
    previous: dict[str, Any] | None = None
    #: a rejection that also recorded need = none (its undo withdraws that label)
    labelled: bool = False


#: what a regenerate rewrites, and its undo puts back
_REWRITTEN = ("text", "flags", "attempts", "seed", "generator_version", "saved_reply_id",
              "example_ids")

#: Regenerates one draft: given the item, returns a new DraftResult.
Regenerate = Callable[[QueueItem], DraftResult]


def moderator_name(config: Config) -> str:
    """`[moderation] name`, else the OS user."""
    if config.moderation.name:
        return config.moderation.name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class ModerationQueue:
    """One moderator's session over the shared queue of pending drafts."""

    store: Store
    moderator: str
    claim_timeout: float = 600.0
    clock: Clock = field(default_factory=WallClock)
    regenerate_with: Regenerate | None = None
    #: watch -> brand voice, for checking a moderator's edit with the guardrails
    voices: dict[str, BrandVoice] = field(default_factory=dict)
    #: watch -> the brand's own handles, to warn when someone already answered by hand
    handles: dict[str, set[str]] = field(default_factory=dict)
    #: watch -> its topic names, offered by the correction form
    topics: dict[str, list[str]] = field(default_factory=dict)
    _undo: list[_Action] = field(default_factory=list)
    _skipped: set[int] = field(default_factory=set)
    #: who holds claims: the moderator plus a per-session tag, so one person in two
    #: terminals is two claimants
    session: str = ""

    def __post_init__(self) -> None:
        if not self.session:
            self.session = f"{self.moderator}/{uuid.uuid4().hex[:8]}"

    # -- claiming ----------------------------------------------------------------------
    def next(self) -> QueueItem | None:
        """Claim the most urgent pending draft nobody else holds (and not skipped here), by
        `socialbot.drafting.priority`, or None."""
        now = self.clock.now()
        with self.store.transaction() as conn:
            query = select(DRAFTS.c.id, DRAFTS.c.post_pk).where(
                DRAFTS.c.status == DraftStatus.PENDING, lifecycle.free(now))
            if self._skipped:
                query = query.where(DRAFTS.c.id.not_in(sorted(self._skipped)))
            pending = [(r.id, r.post_pk) for r in conn.execute(query).all()]
            for draft_id in ranked(conn, pending, now=stream_now(conn, now)):
                # another moderator may hold it by now: then the next one
                locked = conn.execute(
                    select(DRAFTS.c.id).where(DRAFTS.c.id == draft_id)
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if locked is not None and self._claim(conn, draft_id, now):
                    return self._load(conn, draft_id)
        return None

    def take(self, draft_id: int) -> QueueItem | None:
        """Claim one pending draft by its id (the web dashboard decides the draft a person
        clicked, not the most urgent one), or None: decided already, or someone holds it."""
        now = self.clock.now()
        with self.store.transaction() as conn:
            locked = conn.execute(
                select(DRAFTS.c.id).where(DRAFTS.c.id == draft_id)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if locked is None or not self._claim(conn, draft_id, now):
                return None
            return self._load(conn, draft_id)

    def _claim(self, conn: Connection, draft_id: int, now: datetime) -> bool:
        return lifecycle.claim(conn, draft_id, session=self.session,
                               until=self._claim_until(now), now=now)

    def _claim_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.claim_timeout)

    def renew(self, item: QueueItem) -> QueueItem:
        """Extend the claim on `item` (the UI calls this while a moderator is editing)."""
        now = self.clock.now()
        with self.store.transaction() as conn:
            if not lifecycle.renew(conn, item.draft_id, session=self.session,
                                   until=self._claim_until(now), now=now):
                raise _claim_lost(item.draft_id)
            return self._load(conn, item.draft_id)

    def release(self, item: QueueItem | None = None) -> None:
        """Give back `item`'s claim, or every claim this moderator holds."""
        with self.store.transaction() as conn:
            lifecycle.release(conn, session=self.session,
                              draft_id=None if item is None else item.draft_id)

    # -- decisions ---------------------------------------------------------------------
    def check_edit(self, item: QueueItem, text: str) -> list[Flag]:
        """The guardrail flags an edited reply raises (the moderator may still approve it)."""
        voice = self.voices.get(item.watch or "") or BrandVoice(name=item.watch or "the brand")
        return check(text.strip(), post_text=item.post_text, platform=item.platform, voice=voice)

    def approve(self, item: QueueItem, text: str | None = None) -> None:
        """Approve `item`, as drafted or with the moderator's edited `text`.

        An edit longer than the platform allows is refused (it could never be posted);
        other guardrail flags on an edit are the moderator's call, recorded in the audit.
        """
        approved = item.text if text is None else text.strip()
        if not approved:
            raise QueueError("an empty reply cannot be approved; reject it instead")
        edited = approved != item.text
        flags = self.check_edit(item, approved) if edited else []
        too_long = [f for f in flags if f.code == TOO_LONG]
        if too_long:
            raise QueueError(f"too long to post: {too_long[0].reason}")
        now = self.clock.now()
        with self.store.transaction() as conn:
            if not lifecycle.approve(
                conn, _ref(item), session=self.session, moderator=self.moderator,
                text=approved, edited=edited, now=now,
                detail={"drafted_text": item.text,
                        "flags": [f.code for f in flags] if edited else
                        [f.get("code") for f in item.flags]},
            ):
                raise _claim_lost(item.draft_id)
        self._undo.append(_Action("approve", item.draft_id))
        logger.info("%s approved draft %d%s for %s:%s", self.moderator, item.draft_id,
                    " (edited)" if edited else "", item.platform, item.post_id)

    def reject(self, item: QueueItem, reason: str) -> None:
        """Reject `item`; `reason` is kept on the draft and in the audit log."""
        reason = reason.strip() or "no reason given"
        no_reply = needs_no_reply(reason)
        now = self.clock.now()
        with self.store.transaction() as conn:
            if not lifecycle.reject(conn, _ref(item), session=self.session,
                                    moderator=self.moderator, reason=reason, now=now,
                                    detail={"text": item.text}):
                raise _claim_lost(item.draft_id)
            if no_reply:  # the moderator has told us what the post is: keep it as a label
                record_no_reply(conn, platform=item.platform, post_id=item.post_id,
                                moderator=self.moderator, now=now)
        self._undo.append(_Action("reject", item.draft_id, labelled=no_reply))
        logger.info("%s rejected draft %d for %s:%s: %s", self.moderator, item.draft_id,
                    item.platform, item.post_id, reason)

    def skip(self, item: QueueItem) -> None:
        """Put `item` back for others; this session will not offer it again."""
        self.release(item)
        self._skipped.add(item.draft_id)
        self._undo.append(_Action("skip", item.draft_id))
        logger.info("%s skipped draft %d", self.moderator, item.draft_id)

    def regenerate(self, item: QueueItem) -> QueueItem:
        """Replace `item`'s text with a newly generated draft (undo restores the old one)."""
        if self.regenerate_with is None:
            raise QueueError("no reply generator is available to regenerate drafts")
        result = self.regenerate_with(item)
        flags = flags_json(result.flags)
        now = self.clock.now()
        with self.store.transaction() as conn:
            previous = conn.execute(
                select(*(DRAFTS.c[name] for name in _REWRITTEN))
                .where(DRAFTS.c.id == item.draft_id)
            ).one()
            if not lifecycle.rewrite(
                conn, _ref(item), session=self.session, moderator=self.moderator, values={
                    "text": result.text, "flags": flags,
                    "attempts": item.attempts + result.attempts, "seed": result.seed,
                    "generator_version": result.model_version,
                    # the regenerated text stands on the post alone
                    "saved_reply_id": None, "example_ids": None,
                    "claim_expires_at": self._claim_until(now),
                }, action="draft.regenerate", now=now,
                detail={"old_text": item.text, "text": result.text},
            ):
                raise _claim_lost(item.draft_id)
            fresh = self._load(conn, item.draft_id)
        self._undo.append(_Action("regenerate", item.draft_id, dict(previous._mapping)))
        logger.info("%s regenerated draft %d", self.moderator, item.draft_id)
        return fresh

    def undo(self) -> QueueItem:
        """Undo this session's last action and return that draft, claimed again.

        An approval can be undone only while the poster has not started on it.
        """
        if not self._undo:
            raise QueueError("nothing to undo")
        action = self._undo[-1]
        now = self.clock.now()
        with self.store.transaction() as conn:
            ref = self._ref_of(conn, action.draft_id)
            if action.kind in ("approve", "reject"):
                decided = (DraftStatus.APPROVED if action.kind == "approve"
                           else DraftStatus.REJECTED)
                edit = None
                if action.kind == "approve":
                    edit = self._approved_edit(conn, action.draft_id)
                if not lifecycle.undo_decision(conn, ref, decided=decided,
                                               moderator=self.moderator, session=self.session,
                                               until=self._claim_until(now), now=now, edit=edit):
                    raise QueueError(f"draft {action.draft_id} can no longer be undone "
                                     "(the poster has already taken it)")
                if action.labelled:
                    record_no_reply(conn, platform=ref.platform, post_id=ref.post_id,
                                    moderator=self.moderator, now=now, undo=True)
            elif action.kind == "skip":
                if not self._claim(conn, action.draft_id, now):
                    raise QueueError(f"draft {action.draft_id} was taken by someone else")
            else:
                assert action.previous is not None
                if not lifecycle.rewrite(
                    conn, ref, session=self.session, moderator=self.moderator,
                    values={**action.previous, "claim_expires_at": self._claim_until(now)},
                    action="draft.undo", now=now, detail={"undone": action.kind},
                ):
                    raise _claim_lost(action.draft_id)
            item = self._load(conn, action.draft_id)
        self._undo.pop()
        self._skipped.discard(action.draft_id)
        logger.info("%s undid %s of draft %d", self.moderator, action.kind, action.draft_id)
        return item

    # -- corrections ---------------------------------------------------------------------
    def correction_start(self, item: QueueItem) -> tuple[Correction, str]:
        """What the correction form starts from, and what the model said (one line)."""
        with self.store.engine.connect() as conn:
            said = model_said(conn, item.platform, item.post_id)
            start = starting_point(conn, item.platform, item.post_id)
        if said is None or said.model_version is None:
            return start, "not classified"
        return start, (f"{said.sentiment}, need {said.need or 'unknown'}, "
                       f"topics {said.topics} ({said.model_version})")

    def correct(self, item: QueueItem, correction: Correction) -> None:
        """Record the moderator's sentiment, need and topics for `item`'s post as labels."""
        now = self.clock.now()
        try:
            with self.store.transaction() as conn:
                record_correction(conn, platform=item.platform, post_id=item.post_id,
                                  correction=correction,
                                  known_topics=self.topics.get(item.watch or "", []),
                                  moderator=self.moderator, now=now)
        except LabelError as exc:
            raise QueueError(str(exc)) from None
        logger.info("%s labelled %s:%s %s / %s / %s", self.moderator, item.platform,
                    item.post_id, correction.sentiment, correction.need,
                    ",".join(correction.topics) or "other")

    # -- saved replies -------------------------------------------------------------------
    def save_reply(self, item: QueueItem, name: str, text: str | None = None) -> SavedReply:
        """Keep `text` (default: the draft's) as a saved reply of `item`'s watch, for posts
        on its topic with its intent; the author's handle becomes the `{handle}` slot."""
        if item.watch is None:
            raise QueueError("this draft belongs to no watch; a saved reply needs one")
        intent = intent_of(item.reason, item.sentiment)
        if intent is None:
            raise QueueError("cannot tell whether this post is a complaint, a question or "
                             "praise, so the saved reply would match nothing")
        template = text if text is not None else item.text
        if item.author:
            template = re.sub(rf"(?<![\w@])@{re.escape(item.author)}(?!\w)", "@{handle}",
                              template, flags=re.IGNORECASE)
        now = self.clock.now()
        try:
            with self.store.transaction() as conn:
                saved = save_reply(conn, watch=item.watch, name=name,
                                   topic=(item.topics or ("other",))[0], intent=intent,
                                   text=template, post_pk=item.post_pk,
                                   created_by=self.moderator, now=now)
                conn.execute(insert(lifecycle.AUDIT).values(
                    at=now, actor=self.moderator, action="saved_reply.create",
                    subject=f"saved_reply:{saved.id}",
                    detail=json.dumps({"draft": item.draft_id, "name": saved.name,
                                       "topic": saved.topic, "intent": saved.intent,
                                       "text": saved.text}, ensure_ascii=False)))
        except SavedReplyError as exc:
            raise QueueError(str(exc)) from None
        return saved

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    # -- reading -----------------------------------------------------------------------
    def counts(self) -> Counts:
        """Pending drafts now, drafts approved / rejected since midnight UTC, and
        approved drafts that failed to post."""
        midnight = self.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        with self.store.engine.connect() as conn:
            pending = conn.execute(
                select(func.count()).select_from(DRAFTS)
                .where(DRAFTS.c.status == DraftStatus.PENDING)
            ).scalar_one()
            decided: dict[str, int] = dict(
                conn.execute(
                    select(DRAFTS.c.status, func.count())
                    .where(DRAFTS.c.decided_at >= midnight,
                           DRAFTS.c.status.in_([DraftStatus.APPROVED, DraftStatus.REJECTED]))
                    .group_by(DRAFTS.c.status)
                ).all()
            )
            failed = conn.execute(
                select(func.count()).select_from(DRAFTS)
                .where(DRAFTS.c.status == DraftStatus.FAILED)
            ).scalar_one()
            # Drafts approved today that the poster has already taken count as approved too.
            sent = conn.execute(
                select(func.count()).select_from(DRAFTS).where(
                    and_(DRAFTS.c.decided_at >= midnight,
                         DRAFTS.c.status.in_(lifecycle.TAKEN_BY_POSTER))
                )
            ).scalar_one()
        return Counts(int(pending), int(decided.get("approved", 0)) + int(sent),
                      int(decided.get("rejected", 0)), int(failed))

    # -- helpers -----------------------------------------------------------------------
    def _approved_edit(self, conn: Connection, draft_id: int) -> tuple[str, str] | None:
        """The moderator's edited text and its guardrail flags, if the approval was an edit.

        Undoing an edited approval gives the moderator their text back to keep working
        on; the model's text stays in the audit log.
        """
        row = conn.execute(
            select(DRAFTS.c.text, DRAFTS.c.approved_text).where(DRAFTS.c.id == draft_id)
        ).one()
        if row.approved_text is None or row.approved_text == row.text:
            return None
        item = self._load(conn, draft_id)
        return row.approved_text, flags_json(self.check_edit(item, row.approved_text))

    def _ref_of(self, conn: Connection, draft_id: int) -> lifecycle.DraftRef:
        row = conn.execute(
            select(DRAFTS.c.platform, POSTS.c.post_id)
            .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk).where(DRAFTS.c.id == draft_id)
        ).one()
        return lifecycle.DraftRef(draft_id, row.platform, row.post_id)

    def _brand_replies(
        self, conn: Connection, watch: str | None, platform: str, post_id: str
    ) -> tuple[ThreadPost, ...]:
        handles = {normalise_handle(h) for h in self.handles.get(watch or "", ())}
        rows = brand_replies(conn, [(platform, post_id)], handles)
        return tuple(ThreadPost(r.author, r.text, r.created_at) for r in rows)

    def _load(self, conn: Connection, draft_id: int) -> QueueItem:
        row = conn.execute(
            select(DRAFTS, POSTS.c.post_id, POSTS.c.author, POSTS.c.text.label("post_text"),
                   POSTS.c.url, POSTS.c.created_at.label("post_created_at"),
                   POSTS.c.in_reply_to, PREDICTIONS.c.sentiment,
                   PREDICTIONS.c.topics.label("topics"), PREDICTIONS.c.p_negative,
                   PREDICTIONS.c.p_neutral, PREDICTIONS.c.p_positive,
                   DRAFT_DECISIONS.c.detail.label("why_drafted"),
                   DRAFT_DECISIONS.c.reason.label("reason"))
            .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
            .outerjoin(PREDICTIONS, PREDICTIONS.c.post_pk == DRAFTS.c.post_pk)
            .outerjoin(DRAFT_DECISIONS, DRAFT_DECISIONS.c.post_pk == DRAFTS.c.post_pk)
            .where(DRAFTS.c.id == draft_id)
        ).one()
        thread = thread_of(conn, row.platform, row.in_reply_to)
        return QueueItem(
            draft_id=row.id, watch=row.watch, platform=row.platform, post_id=row.post_id,
            author=row.author, post_text=row.post_text, url=row.url,
            posted_at=row.post_created_at, sentiment=row.sentiment,
            topics=tuple(t for t in topics_of(row.topics) if t != "other"),
            thread=tuple(ThreadPost(t.author, t.text, t.created_at) for t in thread),
            text=row.text, flags=tuple(json.loads(row.flags)), attempts=row.attempts,
            seed=row.seed, generator_version=row.generator_version,
            claim_expires_at=row.claim_expires_at,
            brand_replies=self._brand_replies(conn, row.watch, row.platform, row.post_id),
            sentiment_confidence=_confidence(row.sentiment, row.p_negative, row.p_neutral,
                                             row.p_positive),
            why_drafted=row.why_drafted,
            reason=row.reason,
            source=_source(conn, row),
            post_pk=row.post_pk,
        )


def _source(conn: Connection, row: Any) -> str:
    """What the card says about where the draft's text came from."""
    examples = json.loads(row.example_ids) if row.example_ids else []
    name = None
    if row.saved_reply_id is not None:
        name = saved_reply_names(conn, [row.saved_reply_id]).get(
            row.saved_reply_id, f"#{row.saved_reply_id}, since removed")
    return example_summary(name, examples, as_is=row.generator_version == SAVED_REPLY_VERSION)


def _ref(item: QueueItem) -> lifecycle.DraftRef:
    return lifecycle.DraftRef(item.draft_id, item.platform, item.post_id)


def _claim_lost(draft_id: int) -> ClaimLost:
    return ClaimLost(f"draft {draft_id} is no longer yours to decide "
                     "(your claim expired, or someone else decided it)")


def _confidence(sentiment: str | None, *probabilities: float | None) -> float | None:
    """The probability the classifier gave the sentiment it chose."""
    if sentiment is None or None in probabilities:
        return None
    by_label = dict(zip(("negative", "neutral", "positive"), probabilities, strict=True))
    return by_label.get(sentiment)
