"""Topics learn from corrections: a post labelled with a topic becomes one of its examples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socialbot.domain import Prediction, Topic
from socialbot.labels.learned_topics import LearningTopics, learned_examples
from socialbot.stages.classify import ClassifyStage
from socialbot.store import Store
from socialbot.store.labels import record_labels, topic_value
from tests.moderation.support import add_post

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
TOPICS = [Topic("delivery", "parcels arriving late", ("my parcel is late",)),
          Topic("billing", "charges and refunds", ("charged twice",))]


def _label_topics(store: Store, post_id: str, *topics: str, minutes: int = 0) -> None:
    with store.transaction() as conn:
        record_labels(conn, platform="twitter", post_id=post_id,
                      values={"topic": topic_value(topics)}, labeller="ana", source="queue",
                      sample="drafted", now=NOW + timedelta(minutes=minutes))


def _learned(store: Store, watch: str = "parcelly", per_topic: int = 50
             ) -> dict[str, tuple[str, ...]]:
    with store.reading() as conn:
        return learned_examples(conn, watch=watch, topics=TOPICS, per_topic=per_topic)


def test_a_corrected_topic_makes_the_post_an_example_of_it(store: Store) -> None:
    add_post(store, "p1", "my points vanished", topics=("delivery",))
    _label_topics(store, "p1", "billing")
    assert _learned(store) == {"delivery": (), "billing": ("my points vanished",)}


def test_the_newest_label_wins_and_other_takes_the_post_back_out(store: Store) -> None:
    add_post(store, "p1", "where is my refund")
    add_post(store, "p2", "lovely weather")
    _label_topics(store, "p1", "delivery")
    _label_topics(store, "p2", "billing")
    _label_topics(store, "p1", "billing", "delivery")  # a second look: both topics
    _label_topics(store, "p2")  # "other": not about any topic after all
    assert _learned(store) == {"delivery": ("where is my refund",),
                               "billing": ("where is my refund",)}


def test_learned_examples_are_capped_to_the_newest_labels(store: Store) -> None:
    for i in range(5):
        add_post(store, f"p{i}", f"refund problem number {i}")
        _label_topics(store, f"p{i}", "billing", minutes=i)
    assert _learned(store, per_topic=3)["billing"] == (
        "refund problem number 4", "refund problem number 3", "refund problem number 2")


def test_only_the_labelled_watch_learns(store: Store) -> None:
    add_post(store, "p1", "my points vanished", watch="parcelly")
    add_post(store, "p2", "the voucher did not apply", watch="other_brand")
    _label_topics(store, "p1", "billing")
    _label_topics(store, "p2", "billing")
    assert _learned(store, watch="parcelly")["billing"] == ("my points vanished",)
    assert _learned(store, watch="other_brand")["billing"] == ("the voucher did not apply",)


def test_a_text_already_in_config_is_not_added_twice(store: Store) -> None:
    add_post(store, "p1", "charged twice")
    _label_topics(store, "p1", "billing")
    assert _learned(store)["billing"] == ()


class TopicsSeen:
    """A classifier that remembers which topics each call was given (and says nothing)."""

    version = "seen-1"

    def __init__(self) -> None:
        self.calls: list[tuple[Topic, ...]] = []

    def predict_batch(self, texts: list[str], topics: Sequence[Topic] = (), *,
                      batch_size: int = 64) -> list[Prediction]:
        self.calls.append(tuple(topics))
        return [Prediction("neutral", {"negative": 0.1, "neutral": 0.8, "positive": 0.1}, [],
                           self.version) for _ in texts]


def test_the_classify_stage_uses_new_labels_without_a_restart(store: Store) -> None:
    add_post(store, "p1", "my points vanished")
    model = TopicsSeen()
    stage = ClassifyStage(store, lambda: model, topics={"parcelly": TOPICS},
                          default_watch="parcelly")
    add_post(store, "new1", "first new post", sentiment=None)
    stage.run_batch()
    _label_topics(store, "p1", "billing")
    add_post(store, "new2", "second new post", sentiment=None)
    stage.run_batch()
    before, after = (dict((t.name, t.examples) for t in call) for call in model.calls)
    assert before["billing"] == ("charged twice",)
    assert after["billing"] == ("charged twice", "my points vanished")
    with store.reading() as conn:
        assert stage.learning is not None
        assert stage.learning.learned_counts(conn, "parcelly") == {"delivery": 0, "billing": 1}


def test_labels_are_read_again_only_when_topic_labels_change(store: Store) -> None:
    add_post(store, "p1", "my points vanished")
    learning = LearningTopics({"parcelly": TOPICS}, default_watch="parcelly")
    with store.reading() as conn:
        first = learning.current(conn)
        assert learning.current(conn) is first  # nothing new: the same topics, no re-read
    with store.transaction() as conn:  # a sentiment label teaches topics nothing
        record_labels(conn, platform="twitter", post_id="p1", values={"sentiment": "neutral"},
                      labeller="ana", source="queue", sample="drafted", now=NOW)
    with store.reading() as conn:
        assert learning.current(conn) is first
    _label_topics(store, "p1", "billing")
    with store.reading() as conn:
        assert learning.current(conn)["parcelly"][1].examples[-1] == "my points vanished"


@pytest.mark.slow
def test_a_post_gets_the_corrected_topic_after_a_similar_post_was_corrected(
    store: Store,
) -> None:
    """On the demo watch's topics the shipped model does not file a locker code that never
    came under delivery (app_bugs on the fine-tuned pass, no topic on the base encoder's);
    once a moderator says a similar post is delivery, the post is delivery, and only in
    the watch whose post was labelled."""
    from models.classifier import load_classifier
    from socialbot.config import load_config
    from socialbot.moderation.corrections import Correction, record_correction
    from socialbot.reclassify import reclassify
    from socialbot.store.labels import model_said

    topics = list(load_config(Path(__file__).resolve().parents[2] / "config.toml")
                  .get_watch(None).topics)
    classifier = load_classifier(num_threads=1)
    stage = ClassifyStage(store, lambda: classifier,
                          topics={"parcelly": topics, "other_brand": topics},
                          default_watch="parcelly")
    mistaken = "the locker code text never came so I could not pick it up"
    add_post(store, "seen", "my locker pickup code never arrived by text", sentiment=None)
    add_post(store, "later", mistaken, sentiment=None)
    add_post(store, "elsewhere", mistaken, sentiment=None, watch="other_brand")
    stage.run_batch()

    def first_topic(post_id: str) -> str:
        with store.reading() as conn:
            said = model_said(conn, "twitter", post_id)
        assert said is not None and said.topics is not None
        return said.topics.split(",")[0]

    misfiled = first_topic("later")
    assert misfiled == first_topic("elsewhere") and misfiled != "delivery"  # before any label
    with store.transaction() as conn:
        record_correction(conn, platform="twitter", post_id="seen",
                          correction=Correction("negative", "complaint", ("delivery",)),
                          known_topics=[t.name for t in topics], moderator="ana", now=NOW)
    reclassify(stage)
    assert first_topic("later") == "delivery"
    assert first_topic("elsewhere") == misfiled
