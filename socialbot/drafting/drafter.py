"""Draft replies that pass the guardrails: generate, sanitise, check, regenerate the failures.

A draft that still fails after `max_attempts` is returned with its flags, never dropped:
the moderation queue shows it to a person with the reasons, who can edit or reject it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from socialbot.domain import BrandVoice, DraftRequest
from socialbot.drafting.claims import policy_flags
from socialbot.drafting.guardrails import Flag, check, sanitise, sign
from socialbot.drafting.refusal import refusal_flags
from socialbot.errors import ModelError

logger = logging.getLogger(__name__)


class GeneratorUnavailable(ModelError):
    """The generator cannot draft now: its server is down, refusing, or rate limiting.

    Nothing is lost: the draft stage hands the posts back to wait for a later batch.
    `retry_after` is how many seconds the server asked to be left alone, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DraftGenerator(Protocol):
    """What the drafter needs from a generator (models.generator.ReplyGenerator fits).

    A generator that cannot draft now (a server down) raises GeneratorUnavailable.
    """

    version: str

    def generate(
        self,
        requests: Sequence[DraftRequest],
        *,
        voice: BrandVoice,
        seed: int = 0,
        max_new_tokens: int = 80,
    ) -> list[str]: ...


class RoundCheck(Protocol):
    """A check run on a whole round of drafts at once (one model pass for all of them):
    `socialbot.drafting.topic_match.TopicMatch` is one."""

    def check(self, requests: Sequence[DraftRequest], drafts: Sequence[str]) -> list[list[Flag]]:
        ...


@dataclass(frozen=True, slots=True)
class DraftResult:
    """The draft kept for one request: passing, or the least-flagged attempt with its flags.

    `raw` is the generator's text before sanitising; `text` is what a person sees.
    """

    request: DraftRequest
    text: str
    flags: tuple[Flag, ...]
    attempts: int
    seed: int
    model_version: str
    raw: str

    @property
    def passed(self) -> bool:
        return not self.flags

    @property
    def sanitised(self) -> bool:
        return self.text != self.raw


def draft_replies(
    requests: Sequence[DraftRequest],
    *,
    generator: DraftGenerator,
    voice: BrandVoice,
    max_attempts: int = 3,
    seed: int = 0,
    max_new_tokens: int = 80,
    recent: Sequence[str] = (),
    known: Sequence[str] = (),
    round_check: RoundCheck | None = None,
) -> list[DraftResult]:
    """One `DraftResult` per request, in order.

    Each round generates, in one batched call, a draft for every request still failing;
    attempt k uses seed `seed + k - 1`, so a retry samples a different text and a rerun
    with the same seed gives the same drafts. A draft is sanitised (`guardrails.sanitise`)
    and signed with the voice's sign-off (`guardrails.sign`), then checked; it passes
    when no check raises a flag: the guardrails, the refusal check, the unstated-policy
    check (policies in `known` texts, the brand's saved replies, and in the request's own
    saved reply and examples are the brand's) and `round_check`. `recent` drafts, and drafts
    accepted earlier in this call, count as duplicates, so a batch of similar posts does
    not get one canned answer. After `max_attempts` the attempt with the fewest flags is
    kept (the latest on ties) and returned with its flags.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    results: dict[int, DraftResult] = {}
    best: dict[int, DraftResult] = {}
    accepted = list(recent)
    pending = list(range(len(requests)))
    for attempt in range(1, max_attempts + 1):
        if not pending:
            break
        attempt_seed = seed + attempt - 1
        texts = generator.generate(
            [requests[i] for i in pending],
            voice=voice,
            seed=attempt_seed,
            max_new_tokens=max_new_tokens,
        )
        if len(texts) != len(pending):
            raise RuntimeError(
                f"generator returned {len(texts)} drafts for {len(pending)} requests"
            )
        still_failing = []
        signed = [sign(sanitise(raw, platform=requests[i].platform), voice)
                  for i, raw in zip(pending, texts, strict=True)]
        round_flags = (round_check.check([requests[i] for i in pending], signed)
                       if round_check is not None else [[] for _ in pending])
        for index, raw, text, more in zip(pending, texts, signed, round_flags, strict=True):
            request = requests[index]
            flags = check(
                text,
                post_text=request.text,
                platform=request.platform,
                voice=voice,
                recent=accepted,
            )
            flags += refusal_flags(text)
            flags += policy_flags(text, post_text=request.text, voice=voice,
                                  known=[*known, *_grounds(request)])
            flags += more
            result = DraftResult(
                request=request,
                text=text,
                flags=tuple(flags),
                attempts=attempt,
                seed=attempt_seed,
                model_version=generator.version,
                raw=raw,
            )
            if not flags:
                results[index] = result
                accepted.append(text)
                continue
            if index not in best or len(flags) <= len(best[index].flags):
                best[index] = result
            still_failing.append(index)
        pending = still_failing
    for index in pending:
        kept = best[index]
        results[index] = DraftResult(
            request=kept.request,
            text=kept.text,
            flags=kept.flags,
            attempts=max_attempts,
            seed=kept.seed,
            model_version=kept.model_version,
            raw=kept.raw,
        )
        logger.info(
            "draft still flagged after %d attempts: %s",
            max_attempts,
            ", ".join(flag.code for flag in kept.flags),
        )
    return [results[i] for i in range(len(requests))]


def _grounds(request: DraftRequest) -> list[str]:
    """What the brand wrote that the model was shown: its policies are the brand's."""
    shown = [e.reply for e in request.examples]
    return [request.saved_reply, *shown] if request.saved_reply else shown
