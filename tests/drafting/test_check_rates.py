"""The draft checks held to their measured rates: few false flags on real brand replies
(read as drafts answering their own posts), most of the known-bad drafts caught.

The real replies are ../shared/data/replies (absent in a fresh clone: those tests skip);
the bad drafts ship with the tests. bench/draft_checks.py prints the same figures.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.reply_data import ReplyPair, load_pairs
from socialbot.cli.topics_cmd import read_topics
from socialbot.config import load_config
from socialbot.drafting.check_rates import (
    as_draft,
    catch_rates,
    content_codes,
    load_bad_drafts,
    off_topic_codes,
    rates,
    split_for_checks,
)
from socialbot.drafting.claims import UNSTATED_POLICY
from socialbot.drafting.policy import brand_voice
from socialbot.drafting.refusal import REFUSES
from socialbot.drafting.topic_match import OFF_TOPIC

REPO = Path(__file__).resolve().parents[2]
SHARED_REPLIES = REPO.parent / "shared" / "data" / "replies"
BAD_DRAFTS = Path(__file__).with_name("data") / "bad_drafts.jsonl"
CLASSIFIER = Path(os.environ.get("SOCIALBOT_TEST_CLASSIFIER", REPO / "models" / "sentiment-minilm"))

#: Ceilings on the share of real brand replies (held-out half) each check flags.
#: Measured: refuses 0/282, unstated_policy 3/282 with no facts known (each a real
#: policy the brand stated: a phone number, "up to 72 hours" ...).
REFUSAL_CEILING = 0.01
POLICY_CEILING = 0.03
OFF_TOPIC_CEILING = 0.05
#: Floors on the share of the bad drafts written for a check that it catches.
CATCH_FLOOR = 0.9
OFF_TOPIC_CATCH_FLOOR = 0.5

needs_replies = pytest.mark.skipif(not SHARED_REPLIES.is_dir(),
                                   reason="../shared/data/replies absent")


def held_out() -> list[ReplyPair]:
    return split_for_checks(load_pairs([SHARED_REPLIES]))[1]


@needs_replies
def test_refusal_and_policy_checks_rarely_flag_what_real_brands_sent() -> None:
    pairs = held_out()
    codes = [content_codes(as_draft(p.reply, p.voice()), post=p.post, voice=p.voice())
             for p in pairs]
    found = rates(codes)
    assert len(pairs) > 200
    assert found[REFUSES].share <= REFUSAL_CEILING, found[REFUSES]
    assert found[UNSTATED_POLICY].share <= POLICY_CEILING, found[UNSTATED_POLICY]


def test_refusal_and_policy_checks_catch_the_bad_drafts() -> None:
    bad = load_bad_drafts(BAD_DRAFTS)
    watch = load_config(REPO / "config.toml").watch[0]
    voice = brand_voice(watch)
    codes = [content_codes(as_draft(b.draft, voice), post=b.post, voice=voice,
                           known=[s.text for s in watch.saved_reply]) for b in bad]
    caught = catch_rates(bad, codes)
    assert caught[REFUSES].total >= 10 and caught[UNSTATED_POLICY].total >= 10
    assert caught[REFUSES].share >= CATCH_FLOOR, caught[REFUSES]
    assert caught[UNSTATED_POLICY].share >= CATCH_FLOOR, caught[UNSTATED_POLICY]
    from_issue = [(b, c) for b, c in zip(bad, codes, strict=True)
                  if b.source == "issue 13" and b.catches != OFF_TOPIC]
    assert all(b.catches in c for b, c in from_issue)


@pytest.mark.slow
@needs_replies
@pytest.mark.skipif(not (CLASSIFIER / "classifier.json").exists(),
                    reason=f"no classifier at {CLASSIFIER}")
def test_off_topic_check_with_the_real_classifier() -> None:
    from models.classifier import load_classifier

    classifier = load_classifier(CLASSIFIER, quantize="auto")  # as the default config
    pairs = held_out()
    topics = read_topics(REPO / "bench" / "topics" / "complaint_domains.toml")
    posts = classifier.predict_batch([p.post for p in pairs], topics)
    scores = classifier.topic_scores([as_draft(p.reply, p.voice()) for p in pairs], topics)
    false = rates(off_topic_codes(scores, [[t.name for t in p.topics or []] for p in posts]))
    assert false[OFF_TOPIC].share <= OFF_TOPIC_CEILING, false[OFF_TOPIC]

    bad = [b for b in load_bad_drafts(BAD_DRAFTS) if b.catches == OFF_TOPIC]
    watch_topics = load_config(REPO / "config.toml").watch[0].topics
    read = classifier.predict_batch([b.post for b in bad], watch_topics)
    draft_scores = classifier.topic_scores([b.draft for b in bad], watch_topics)
    caught = catch_rates(bad, off_topic_codes(draft_scores,
                                              [[t.name for t in p.topics or []] for p in read]))
    assert caught[OFF_TOPIC].share >= OFF_TOPIC_CATCH_FLOOR, caught[OFF_TOPIC]
