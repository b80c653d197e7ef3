"""How often the draft checks fire: on real brand replies read as drafts (each flag a false
flag) and on drafts known to be bad (each flag a catch). For bench/draft_checks.py,
bench/reply_heldout.py and the tests that hold the checks to a ceiling.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from models.reply_data import ReplyPair, split_pairs
from socialbot.domain import BrandVoice
from socialbot.drafting.claims import UNSTATED_POLICY, policy_flags
from socialbot.drafting.guardrails import sanitise, sign
from socialbot.drafting.refusal import REFUSES, refusal_flags
from socialbot.drafting.topic_match import (
    DRAFT_TOPIC_MARGIN,
    DRAFT_TOPIC_THRESHOLD,
    OFF_TOPIC,
    off_topic_flags,
)

#: the checks issue 13 added, in the order the bench prints them
NEW_CHECKS: tuple[str, ...] = (REFUSES, OFF_TOPIC, UNSTATED_POLICY)
#: the split of the real replies for the checks: thresholds are tuned on the validation
#: half and reported on the held-out half (by conversation, as `split_pairs` does)
CHECKS_SEED = 13

#: reads one text as a draft answering a post: the codes of the flags it raises
Codes = Callable[[str, str], set[str]]


@dataclass(frozen=True, slots=True)
class BadDraft:
    """A draft a moderator would not send, the post it answers, and the check that
    should catch it (`catches`: a flag code); `source` says where it came from."""

    post: str
    draft: str
    catches: str
    source: str


@dataclass(frozen=True, slots=True)
class Rate:
    """`hits` of `total` texts flagged."""

    hits: int
    total: int

    @property
    def share(self) -> float:
        return self.hits / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.hits}/{self.total} ({self.share:.1%})"


def load_bad_drafts(path: str | Path) -> list[BadDraft]:
    """The hand-labelled bad drafts: JSON lines with post, draft, catches and source."""
    drafts = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("catches") not in NEW_CHECKS:
            raise ValueError(f"{path}:{number}: catches must be one of {', '.join(NEW_CHECKS)}")
        drafts.append(BadDraft(row["post"], row["draft"], row["catches"], row.get("source", "")))
    return drafts


def split_for_checks(pairs: Sequence[ReplyPair]) -> tuple[list[ReplyPair], list[ReplyPair]]:
    """(validation, held-out): two halves of the real replies, no conversation in both."""
    return split_pairs(pairs, held_out=len(pairs) // 2, seed=CHECKS_SEED)


def as_draft(text: str, voice: BrandVoice) -> str:
    """`text` after the repairs every draft gets before it is checked."""
    return sign(sanitise(text, platform="twitter"), voice)


def content_codes(
    draft: str, *, post: str, voice: BrandVoice, known: Sequence[str] = ()
) -> set[str]:
    """The codes the refusal and unstated-policy checks give `draft` (no model needed)."""
    flags = refusal_flags(draft) + policy_flags(draft, post_text=post, voice=voice, known=known)
    return {f.code for f in flags}


def brand_replies(pairs: Sequence[ReplyPair]) -> Mapping[str, list[ReplyPair]]:
    """Pairs by brand: a brand's other replies stand in for its saved replies."""
    out: dict[str, list[ReplyPair]] = {}
    for pair in pairs:
        out.setdefault(pair.brand, []).append(pair)
    return out


def saved_for(pair: ReplyPair, by_brand: Mapping[str, list[ReplyPair]]) -> list[str]:
    """The replies the same brand sent in *other* conversations: what a brand that had
    saved its replies would have given the drafter as known policy."""
    if not pair.brand:
        return []
    return [p.reply for p in by_brand.get(pair.brand, []) if p.group != pair.group]


def off_topic_codes(
    draft_scores: Sequence[Mapping[str, float]],
    post_topics: Sequence[Sequence[str]],
    *,
    threshold: float = DRAFT_TOPIC_THRESHOLD,
    margin: float = DRAFT_TOPIC_MARGIN,
) -> list[set[str]]:
    """The off-topic check's codes for drafts already scored (so a sweep costs no model)."""
    return [
        {f.code for f in off_topic_flags(s, t, threshold=threshold, margin=margin)}
        for s, t in zip(draft_scores, post_topics, strict=True)
    ]


def rates(codes: Sequence[set[str]], *, checks: Sequence[str] = NEW_CHECKS) -> dict[str, Rate]:
    """Per check, how many of the texts it flagged; "any" counts texts with any of them."""
    out = {check: Rate(sum(check in c for c in codes), len(codes)) for check in checks}
    out["any"] = Rate(sum(bool(c & set(checks)) for c in codes), len(codes))
    return out


def catch_rates(bad: Sequence[BadDraft], codes: Sequence[set[str]]) -> dict[str, Rate]:
    """Per check, how many of the bad drafts labelled for it it caught."""
    out = {}
    for check in NEW_CHECKS:
        mine = [c for b, c in zip(bad, codes, strict=True) if b.catches == check]
        out[check] = Rate(sum(check in c for c in mine), len(mine))
    out["any"] = Rate(sum(b.catches in c for b, c in zip(bad, codes, strict=True)), len(bad))
    return out
