"""The off-topic check: a draft about another of the watch's topics than the post it answers.

"How fresh is the fish?" answered with "DM us your order number so we can chase the
courier" reads as a reply to a delivery complaint. The post's topics come from the
classify stage (stored with the post: no second pass over it); the draft's are scored in
the same classifier's topic space, in one embedding pass per round of drafts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from socialbot.domain import DraftRequest, Topic
from socialbot.drafting.guardrails import Flag

#: Flag code, stable for the store and the moderation UI.
OFF_TOPIC = "off_topic"
#: the bucket of a post that matched no topic: nothing to compare a draft with
OTHER = "other"
#: A draft is about a topic when it scores this much (the classifier's own topic
#: threshold is 0.35; a draft is short and generic, so it takes a clearer signal) ...
DRAFT_TOPIC_THRESHOLD = 0.50
#: ... and that topic beats every one of the post's topics by this margin: a reply about
#: an order that is late *and* damaged may lean either way. Both chosen on the validation
#: half of the real brand replies (`bench/draft_checks.py --sweep`): the lowest setting
#: with no false flag there that still catches 10 of the 11 off-topic bad drafts
#: (0.35 / 0.0 flagged 10.6% of the real replies).
DRAFT_TOPIC_MARGIN = 0.10


@runtime_checkable
class TopicScorer(Protocol):
    """Scores texts against topics (models.classifier.PostClassifier is one)."""

    def topic_scores(
        self, texts: list[str], topics: Sequence[Topic], *, batch_size: int = 64
    ) -> list[dict[str, float]]: ...


def off_topic_flags(
    draft_scores: Mapping[str, float],
    post_topics: Sequence[str],
    *,
    threshold: float = DRAFT_TOPIC_THRESHOLD,
    margin: float = DRAFT_TOPIC_MARGIN,
) -> list[Flag]:
    """A flag when the draft's best topic is clearly not one of the post's; [] otherwise
    (also when the post matched no topic, or the draft none)."""
    post = [t for t in post_topics if t != OTHER]
    if not post or not draft_scores:
        return []
    best, score = max(draft_scores.items(), key=lambda item: item[1])
    if best in post or score < threshold:
        return []
    closest = max(draft_scores.get(t, -1.0) for t in post)
    if score - closest < margin:
        return []
    about = " / ".join(t.replace("_", " ") for t in post)
    return [Flag(OFF_TOPIC, f"reads as a reply about {best.replace('_', ' ')}, "
                 f"but the post is about {about}")]


class TopicMatch:
    """The off-topic check for one watch's drafts: `check(requests, drafts)` gives each
    draft's flags, scoring all the drafts of a round in one call to `scorer`."""

    def __init__(
        self,
        scorer: TopicScorer,
        topics: Sequence[Topic],
        *,
        threshold: float = DRAFT_TOPIC_THRESHOLD,
        margin: float = DRAFT_TOPIC_MARGIN,
    ) -> None:
        self.scorer = scorer
        self.topics = tuple(topics)
        self.threshold = threshold
        self.margin = margin

    def check(self, requests: Sequence[DraftRequest], drafts: Sequence[str]) -> list[list[Flag]]:
        if len(requests) != len(drafts):
            raise ValueError(f"{len(drafts)} drafts for {len(requests)} requests")
        if not self.topics or not any(r.topics for r in requests):
            return [[] for _ in drafts]
        scores = self.scorer.topic_scores(list(drafts), self.topics)
        return [
            off_topic_flags(s, r.topics, threshold=self.threshold, margin=self.margin)
            for r, s in zip(requests, scores, strict=True)
        ]
