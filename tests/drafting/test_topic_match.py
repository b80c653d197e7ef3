"""The off-topic check: a draft clearly about another of the watch's topics than its post
is flagged, regenerated, and (if it stays off topic) shown to the moderator with why."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

from models.prompting import BrandVoice, DraftRequest
from socialbot.domain import Topic
from socialbot.drafting.drafter import draft_replies
from socialbot.drafting.topic_match import OFF_TOPIC, TopicMatch, off_topic_flags
from socialbot.moderation.app import render_flags
from socialbot.moderation.queue import ModerationQueue
from socialbot.stages.draft import DraftStage
from socialbot.store import open_store
from tests.moderation.support import EchoGenerator, FakeClock, add_post, reply_config

VOICE = BrandVoice(name="Parcelly")
TOPICS = [Topic(n, f"posts about {n}") for n in ("delivery", "billing", "product_quality")]


class KeywordScorer:
    """Scores a topic high when the text holds one of its words: a stand-in for the
    classifier's embedding scores, with the same interface."""

    WORDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "delivery": ("courier", "late", "tracking"),
        "billing": ("charged", "card"),
        "product_quality": ("fresh", "mouldy", "stale"),
    }

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def topic_scores(self, texts: list[str], topics: Sequence[Topic], *, batch_size: int = 64
                     ) -> list[dict[str, float]]:
        self.calls.append(list(texts))
        return [{t.name: 0.8 if any(w in text.lower() for w in self.WORDS.get(t.name, ()))
                 else 0.2 for t in topics} for text in texts]


@pytest.mark.parametrize(
    ("scores", "post_topics", "flagged"),
    [
        ({"delivery": 0.7, "product_quality": 0.3}, ("product_quality",), True),
        ({"delivery": 0.7, "product_quality": 0.65}, ("product_quality",), False),  # both
        ({"delivery": 0.7, "product_quality": 0.3}, ("delivery",), False),
        ({"delivery": 0.7, "product_quality": 0.3}, ("billing", "delivery"), False),
        ({"delivery": 0.3, "product_quality": 0.1}, ("product_quality",), False),  # generic
        ({"delivery": 0.7, "product_quality": 0.3}, (), False),  # post on no topic
        ({"delivery": 0.7, "product_quality": 0.3}, ("other",), False),
    ],
)
def test_only_a_draft_clearly_on_another_topic_is_flagged(
    scores: dict[str, float], post_topics: tuple[str, ...], flagged: bool
) -> None:
    flags = off_topic_flags(scores, post_topics)
    assert [f.code for f in flags] == ([OFF_TOPIC] if flagged else [])


def test_the_reason_names_both_topics() -> None:
    [flag] = off_topic_flags({"delivery": 0.7, "product_quality": 0.2}, ("product_quality",))
    assert flag.reason == "reads as a reply about delivery, but the post is about product quality"


def test_a_round_of_drafts_is_scored_in_one_call() -> None:
    scorer = KeywordScorer()
    match = TopicMatch(scorer, TOPICS)
    requests = [DraftRequest("is the fish fresh?", topics=("product_quality",)),
                DraftRequest("charged twice!", topics=("billing",))]
    flags = match.check(requests, ["The courier is running late, sorry!",
                                   "Sorry you were charged twice, DM us."])
    assert [[f.code for f in fs] for fs in flags] == [[OFF_TOPIC], []]
    assert len(scorer.calls) == 1


def test_an_off_topic_draft_is_regenerated() -> None:
    post = "how fresh is the fish on @parcelly, anyone tried it?"
    generator = EchoGenerator({post: ["Sorry your courier is late! We'll chase the tracking.",
                                      "Our fish comes in fresh every morning!"]})
    [result] = draft_replies([DraftRequest(post, author="amy", topics=("product_quality",))],
                             generator=generator, voice=VOICE,
                             round_check=TopicMatch(KeywordScorer(), TOPICS))
    assert result.passed and result.attempts == 2
    assert result.text == "Our fish comes in fresh every morning!"


def test_the_queue_card_says_why_a_draft_is_off_topic(tmp_path: Path) -> None:
    config = reply_config(tmp_path)
    store = open_store(config)
    try:
        add_post(store, "1", "@parcelly the bread was stale again", author="ann",
                 topics=("product_quality",))
        always_delivery = "Sorry the courier was late, we're chasing the tracking now."
        generator = EchoGenerator({"@parcelly the bread was stale again": [always_delivery]})
        stage = DraftStage(store, config, generator_factory=lambda: generator,
                           topic_scorer_factory=lambda _watch: KeywordScorer(),
                           wall_clock=FakeClock())
        while stage.run_batch():
            pass
        item = ModerationQueue(store, moderator="ana", clock=FakeClock()).next()
        assert item is not None
        assert [f["code"] for f in item.flags] == [OFF_TOPIC]
        assert ("off_topic[/]: reads as a reply about delivery, but the post is about "
                "product quality") in render_flags(item)
    finally:
        store.dispose()
