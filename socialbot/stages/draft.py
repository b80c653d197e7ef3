"""The draft stage: reply policy for classified posts, then batched drafts for the chosen ones.

Each batch (1) records a decision for undecided classified posts, in one transaction;
(2) claims a few "draft" decisions that have no draft yet; (3) generates, outside any
transaction, with the regenerate-until-pass loop; (4) stores the drafts as `pending`.
A crash after (2) leaves claims that expire, so another run drafts those posts again;
a draft is stored at most once per post (unique `post_pk`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, update

from socialbot.clock import Clock, WallClock
from socialbot.config import Config
from socialbot.domain import BrandVoice, DraftRequest, Topic
from socialbot.drafting.candidates import last_drafted, thread_of, topics_of, undecided_posts
from socialbot.drafting.drafter import (
    DraftGenerator,
    DraftResult,
    GeneratorUnavailable,
    draft_replies,
)
from socialbot.drafting.guardrails import flags_json
from socialbot.drafting.policy import brand_handles, brand_voice, decide
from socialbot.drafting.priority import rank_backlog, skip_too_old, stream_now
from socialbot.drafting.topic_match import TopicMatch, TopicScorer
from socialbot.grounding.grounder import GroundedBatch, Grounder, Grounding
from socialbot.grounding.saved import saved_replies, seed
from socialbot.stages.base import Stage, StageContext
from socialbot.stages.watch_classifiers import WatchClassifiers
from socialbot.store import Store, lifecycle
from socialbot.store.dialect import insert_ignoring_conflicts
from socialbot.store.drafts import DRAFT_DECISIONS, DRAFTS, DraftStatus
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS

logger = logging.getLogger(__name__)

#: Posts the policy decides per transaction (cheap: no model involved).
DECIDE_BATCH = 500
#: How long a worker may take to draft what it claimed before others may take it.
CLAIM_TTL = timedelta(minutes=10)
#: Drafts of the same watch compared against, so the account does not repeat itself.
RECENT_DRAFTS = 50


#: decisions joined with their draft, if any (no draft yet: DRAFTS.c.id is NULL)
_UNDRAFTED = DRAFT_DECISIONS.outerjoin(DRAFTS, DRAFTS.c.post_pk == DRAFT_DECISIONS.c.post_pk)


class DraftStage(Stage):
    """Decides which posts get a reply and drafts them; the generator loads on first use."""

    kind = "draft"
    name = "draft"

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        generator_factory: Callable[[], DraftGenerator],
        topic_scorer_factory: Callable[[str], TopicScorer] | None = None,
        wall_clock: Clock | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.watches = {w.name: w for w in config.watch if w.reply.enabled}
        self.voices = {name: brand_voice(w) for name, w in self.watches.items()}
        self._factory = generator_factory
        self._generator: DraftGenerator | None = None
        #: a watch's scorer of drafts against its topics (the off-topic check); None: no
        #: check. Asked each round: it hands back the model in memory, a new one after a
        #: retrain.
        self._scorer_factory = topic_scorer_factory
        self.wall = wall_clock or WallClock()
        self.stop = stop or threading.Event()
        #: a drafting server asked to be left alone until then (429 with a long Retry-After)
        self._paused_until: datetime | None = None
        self.grounder = Grounder(k=config.drafting.examples)
        self._seeded = False

    @property
    def generator(self) -> DraftGenerator:
        if self._generator is None:
            self._generator = self._factory()
            logger.info("reply generator %s loaded", self._generator.version)
        return self._generator

    def topic_match(self, watch: str) -> TopicMatch | None:
        """The off-topic check for `watch`'s drafts, its scorer loaded on first use;
        None without a scorer or when the watch names no topics."""
        topics = self.watches[watch].topics
        if self._scorer_factory is None or not topics:
            return None
        return TopicMatch(self._scorer_factory(watch), topics)

    def run_batch(self) -> int:
        # Deciding is cheap and makes `drafts --why` answer for every post at once;
        # drafting (slow, model-bound) only starts when no post waits for a decision.
        return self.decide_batch() or self.draft_batch()

    # -- (1) policy ----------------------------------------------------------------
    def decide_batch(self, limit: int = DECIDE_BATCH) -> int:
        """Record the policy's decision for up to `limit` undecided posts."""
        handles = {
            name: set(w.reply.handles)
            for name, w in self.watches.items()
        }
        with self.store.transaction() as conn:
            found = undecided_posts(conn, watches=list(self.watches), handles=handles, limit=limit)
            if not found:
                return 0
            drafted = last_drafted(
                conn, {(s.candidate.platform, s.candidate.author or "") for s in found}
            )
            rows = []
            for stored in found:
                c = stored.candidate
                key = (c.platform, c.author or "")
                nearest = _nearest(drafted.get(key, []), c.created_at)
                decision = decide(
                    replace(c, last_drafted_for_author=nearest),
                    self.watches[stored.watch].reply,
                )
                if decision.drafted and c.author:
                    drafted.setdefault(key, []).append(c.created_at)
                rows.append(
                    {
                        "post_pk": stored.post_pk,
                        "watch": stored.watch,
                        "platform": c.platform,
                        "author": c.author,
                        "post_created_at": c.created_at,
                        "decision": decision.decision,
                        "reason": decision.reason,
                        "detail": decision.detail,
                        "decided_at": self.wall.now(),
                    }
                )
            conn.execute(insert_ignoring_conflicts(conn, DRAFT_DECISIONS), rows)
        chosen = sum(1 for r in rows if r["decision"] == "draft")
        logger.debug("reply policy: %d posts decided, %d to draft", len(rows), chosen)
        return len(rows)

    # -- (2..4) drafting -------------------------------------------------------------
    def draft_batch(self) -> int:
        """Draft replies for up to `[drafting] batch_size` chosen posts; store them pending.

        When the generator fails (a drafting server down, refusing or rate limiting) the
        claimed posts are handed back at once, still waiting for a draft, and the error
        is raised for the job's record; a later batch drafts them.
        """
        if self._paused_until is not None and self.wall.now() < self._paused_until:
            return 0
        self.seed_saved_replies()
        claimed = self._claim(self.config.drafting.batch_size)
        if not claimed:
            return 0
        by_watch = _by_watch(claimed)
        with self.store.engine.connect() as conn:
            recent = _recent_texts(conn)
            # saved replies that fit are drafts already: no model, no CPU minutes
            grounded = self.ground(conn, claimed)
            # what the brand's saved replies say is its policy, for the unstated-policy check
            known = {watch: [s.text for s in saved_replies(conn, watch)] for watch in by_watch}
        results: dict[int, DraftResult] = dict(grounded.proposed)
        settings = self.config.drafting
        try:
            for watch, all_pks in by_watch.items():
                pks = [pk for pk in all_pks if pk not in results]
                if not pks:
                    continue
                generator = _StopBetweenRounds(self.generator, self.stop)
                results.update(zip(pks, draft_replies(
                    [grounded.requests[pk] for pk in pks],
                    generator=generator,
                    voice=self.voices[watch],
                    max_attempts=settings.max_attempts,
                    seed=settings.seed,
                    max_new_tokens=settings.max_new_tokens,
                    recent=recent.get(watch, []),
                    known=known[watch],
                    round_check=self.topic_match(watch),
                ), strict=True))
        except _Stopped:
            # A stop was asked between generation rounds: hand the posts back at once.
            self._release([pk for pk, _ in claimed])
            logger.info("stopping: %d claimed posts left for the next run", len(claimed))
            return 0
        except GeneratorUnavailable as exc:
            self._release([pk for pk, _ in claimed])
            if exc.retry_after:
                self._paused_until = self.wall.now() + timedelta(seconds=exc.retry_after)
                logger.warning("drafting paused until %s", self._paused_until.isoformat())
            raise
        self._store(claimed, results, grounded.grounding)
        flagged = sum(1 for r in results.values() if not r.passed)
        logger.info("drafted %d replies (%d flagged by the guardrails)", len(results), flagged)
        return len(results)

    def _release(self, post_pks: list[int]) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                update(DRAFT_DECISIONS)
                .where(DRAFT_DECISIONS.c.post_pk.in_(post_pks))
                .values(claimed_until=None)
            )

    def _claim(self, limit: int) -> list[tuple[int, str]]:
        """Claim the most urgent undrafted posts (`drafting.priority`); first record the
        ones waiting past `[drafting] max_post_age` as skipped."""
        now = self.wall.now()
        claimable = ((DRAFT_DECISIONS.c.claimed_until.is_(None))
                     | (DRAFT_DECISIONS.c.claimed_until < now))
        with self.store.transaction() as conn:
            stream_time = stream_now(conn, now)
            max_age = self.config.drafting.max_post_age
            if max_age is not None:
                skip_too_old(conn, watches=list(self.watches), max_age=max_age,
                             now=stream_time, claimable=claimable)
            limit = min(limit, self._room(conn, now))
            if limit <= 0:
                return []
            order = rank_backlog(conn, watches=list(self.watches), claimable=claimable,
                                 now=stream_time)
            # Ranked without locks; lock the best few, skipping rows another worker holds.
            wanted = [pk for pk, _ in order[: 4 * limit]]
            locked = {r.post_pk for r in conn.execute(
                select(DRAFT_DECISIONS.c.post_pk)
                .where(DRAFT_DECISIONS.c.post_pk.in_(wanted), claimable)
                .with_for_update(skip_locked=True)
            ).all()}
            rows = [(pk, watch) for pk, watch in order if pk in locked][:limit]
            if not rows:
                return []
            conn.execute(
                update(DRAFT_DECISIONS)
                .where(DRAFT_DECISIONS.c.post_pk.in_([pk for pk, _ in rows]))
                .values(claimed_until=now + CLAIM_TTL)
            )
        return rows

    def _room(self, conn: Connection, now: datetime) -> int:
        """How many more drafts the queue takes before `[drafting] max_pending` is reached.

        Drafts nobody reads go stale, and each costs seconds of CPU, so drafting
        pauses while the queue is full (counting drafts other workers are writing)
        and resumes as moderators decide.
        """
        pending = conn.execute(
            select(func.count()).select_from(DRAFTS).where(DRAFTS.c.status == DraftStatus.PENDING)
        ).scalar_one()
        in_flight = conn.execute(
            select(func.count())
            .select_from(_UNDRAFTED)
            .where(DRAFTS.c.id.is_(None), DRAFT_DECISIONS.c.claimed_until > now)
        ).scalar_one()
        return self.config.drafting.max_pending - int(pending) - int(in_flight)

    def ground(self, conn: Connection, claimed: Sequence[tuple[int, str]]) -> GroundedBatch:
        """Draft requests for `claimed` posts (post_pk, watch), grounded: the saved reply
        that fits a post as is becomes its draft; the rest carry their saved reply and
        approved examples for the generator. Seed config's saved replies first
        (`seed_saved_replies`), outside `conn`: a reading connection keeps the snapshot it
        started with and would not see them."""
        by_watch = _by_watch(claimed)
        requests = {pk: self._request(conn, pk, watch) for pk, watch in claimed}
        voices = {watch: self.voices[watch] for watch in by_watch}
        return self.grounder.ground_batch(conn, by_watch, requests, voices)

    def seed_saved_replies(self) -> None:
        """Make the stored saved replies match config.toml's, once per stage."""
        if not self._seeded:
            with self.store.transaction() as conn:
                seed(conn, list(self.watches.values()), now=self.wall.now())
            self._seeded = True

    def _request(self, conn: Connection, post_pk: int, watch: str) -> DraftRequest:
        post = conn.execute(
            select(POSTS, PREDICTIONS.c.sentiment, PREDICTIONS.c.topics)
            # outer: `socialbot reclassify` may be replacing the prediction right now
            .outerjoin(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
            .where(POSTS.c.id == post_pk)
        ).one()
        thread = thread_of(conn, post.platform, post.in_reply_to)
        handles = brand_handles(self.watches[watch].reply)
        return DraftRequest(
            text=post.text,
            platform=post.platform,
            author=post.author,
            thread=tuple(t.text for t in thread),
            brand_in_thread=any((t.author or "").lower() in handles for t in thread),
            sentiment=post.sentiment,
            topics=tuple(t for t in topics_of(post.topics) if t != "other"),
        )

    def _store(self, claimed: list[tuple[int, str]], results: dict[int, DraftResult],
               grounding: dict[int, Grounding]) -> None:
        now = self.wall.now()
        with self.store.transaction() as conn:
            for pk, watch in claimed:
                result = results[pk]
                lifecycle.drafted(conn, {
                    "post_pk": pk,
                    "watch": watch,
                    "platform": result.request.platform,
                    "text": result.text,
                    "flags": flags_json(result.flags),
                    "attempts": result.attempts,
                    "generator_version": result.model_version,
                    "seed": result.seed,
                    **grounding[pk].columns(),
                }, now=now)
        self._release([pk for pk, _ in claimed])

    def close(self) -> None:
        close = getattr(self._generator, "close", None)  # a server's sessions and threads
        if close is not None:
            close()

    def progress(self, conn: Connection) -> dict[str, int]:
        counts: dict[str, int] = dict(
            conn.execute(select(DRAFTS.c.status, func.count()).group_by(DRAFTS.c.status)).all()
        )
        skipped = conn.execute(
            select(func.count()).select_from(DRAFT_DECISIONS)
            .where(DRAFT_DECISIONS.c.decision == "skip")
        ).scalar_one()
        waiting = conn.execute(
            select(func.count())
            .select_from(_UNDRAFTED)
            .where(DRAFT_DECISIONS.c.decision == "draft", DRAFTS.c.id.is_(None))
        ).scalar_one()
        return {
            "skipped": int(skipped),
            "awaiting draft": int(waiting),
            **{str(k): int(v) for k, v in counts.items()},
        }


class _Stopped(Exception):
    """A stop was asked while drafting; raised between generation rounds."""


class _StopBetweenRounds:
    """The generator, refusing to start another round once a stop is asked.

    A round (one batched `generate`) cannot be interrupted, but the regenerate loop
    runs up to `max_attempts` of them; SIGTERM then waits for one round, not all.
    """

    def __init__(self, inner: DraftGenerator, stop: threading.Event) -> None:
        self.inner = inner
        self.stop = stop
        self.version = inner.version

    def generate(
        self,
        requests: Sequence[DraftRequest],
        *,
        voice: BrandVoice,
        seed: int = 0,
        max_new_tokens: int = 80,
    ) -> list[str]:
        if self.stop.is_set():
            raise _Stopped()
        return self.inner.generate(requests, voice=voice, seed=seed, max_new_tokens=max_new_tokens)


def _by_watch(claimed: Sequence[tuple[int, str]]) -> dict[str, list[int]]:
    by_watch: dict[str, list[int]] = {}
    for pk, watch in claimed:
        by_watch.setdefault(watch, []).append(pk)
    return by_watch


def _nearest(times: list[datetime], at: datetime) -> datetime | None:
    """The drafted time closest to `at` (the cooldown applies both ways in time)."""
    if not times:
        return None
    return min(times, key=lambda t: abs(t - at))


def _recent_texts(conn: Connection) -> dict[str, list[str]]:
    rows = conn.execute(
        select(DRAFTS.c.watch, DRAFTS.c.text).order_by(DRAFTS.c.id.desc()).limit(RECENT_DRAFTS)
    ).all()
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r.watch, []).append(r.text)
    return out


def build_draft_stages(ctx: StageContext) -> list[Stage]:
    """One draft stage when any watch has `[watch.reply] enabled = true`."""
    if not any(w.reply.enabled for w in ctx.config.watch):
        return []
    from socialbot.drafting.loading import load_generator

    config = ctx.config
    scorer = (lambda watch: topic_scorer(ctx.classifiers(), watch)
              ) if config.classifier.enabled else None
    return [
        DraftStage(
            ctx.store, config, generator_factory=lambda: load_generator(config),
            topic_scorer_factory=scorer, stop=ctx.stop,
        )
    ]


def topic_scorer(models: WatchClassifiers, watch: str) -> SharedScorer:
    """The classifier that read `watch`'s posts and their topics, to read its drafts (the
    off-topic check): the same model in memory as the classify stage's."""
    classifier = models.for_watch(watch)
    if not isinstance(classifier, TopicScorer):
        raise TypeError(f"{type(classifier).__name__} cannot score topics")
    return SharedScorer(classifier, models.lock)


@dataclass(frozen=True, slots=True)
class SharedScorer:
    """A model the classify stage also uses, scored under its lock: one forward pass at a
    time, and its topic cache changed by one thread at a time."""

    model: TopicScorer
    lock: threading.RLock

    def topic_scores(
        self, texts: list[str], topics: Sequence[Topic], *, batch_size: int = 64
    ) -> list[dict[str, float]]:
        with self.lock:
            return self.model.topic_scores(texts, topics, batch_size=batch_size)
