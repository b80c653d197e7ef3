"""The labels table: rows keep what the model said and which model, and nobody edits them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from socialbot.store import Store
from socialbot.store.labels import (
    LABELS,
    LabelError,
    current_labels,
    label_history,
    record_labels,
    topic_value,
)
from tests.moderation.support import add_post

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def _label(store: Store, values: dict[str, str | None], *, who: str = "ana",
           source: str = "queue", sample: str = "drafted", post: str = "p1") -> None:
    with store.transaction() as conn:
        record_labels(conn, platform="twitter", post_id=post, values=values, labeller=who,
                      source=source, sample=sample, now=NOW)


def test_a_label_keeps_what_the_model_said_and_its_version(any_store: Store) -> None:
    add_post(any_store, "p1", "@parcelly where is my order", sentiment="neutral",
             topics=("delivery", "billing"))
    _label(any_store, {"sentiment": "negative", "need": "question",
                       "topic": topic_value(["delivery"])})
    with any_store.engine.connect() as conn:
        labels = {lab.kind: lab for lab in current_labels(conn)}
    assert labels["sentiment"].value == "negative"
    assert labels["sentiment"].predicted == "neutral"
    assert labels["topic"].value == "delivery"
    assert labels["topic"].predicted == "billing,delivery"
    assert labels["need"].predicted is None  # the test model has no need head
    assert {lab.model_version for lab in labels.values()} == {"truth"}
    assert {(lab.labeller, lab.sample, lab.watch) for lab in labels.values()} == {
        ("ana", "drafted", "parcelly")}


def test_labels_refuse_edits(any_store: Store) -> None:
    add_post(any_store, "p1", "hello")
    _label(any_store, {"sentiment": "positive"})
    with pytest.raises(Exception, match="append-only"), any_store.transaction() as conn:
        conn.execute(text("UPDATE labels SET value = 'negative'"))
    with any_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LABELS)).scalar_one() == 1


def test_the_newest_label_counts_and_a_withdrawal_removes_it(store: Store) -> None:
    add_post(store, "p1", "meh")
    _label(store, {"sentiment": "positive", "need": "none"}, who="ana")
    _label(store, {"sentiment": "neutral"}, who="bo")
    _label(store, {"need": None}, source="reject")
    with store.engine.connect() as conn:
        labels = current_labels(conn)
        history = list(label_history(conn))
    assert [(lab.kind, lab.value, lab.labeller) for lab in labels] == [
        ("sentiment", "neutral", "bo")]
    assert len(history) == 4  # nothing is lost: the export shows every step


@pytest.mark.parametrize(("values", "message"), [
    ({"sentiment": "angry"}, "use one of negative, neutral, positive"),
    ({"need": "praise"}, "use one of complaint, question, none"),
    ({"mood": "x"}, "unknown label kind"),
])
def test_bad_labels_are_refused_with_one_line_and_store_nothing(
    store: Store, values: dict[str, str | None], message: str
) -> None:
    add_post(store, "p1", "hello")
    with pytest.raises(LabelError, match=message):
        _label(store, values)
    with store.engine.connect() as conn:
        assert current_labels(conn) == []


def test_a_post_that_is_not_stored_cannot_be_labelled(store: Store) -> None:
    with pytest.raises(LabelError, match="no stored post twitter:nope"):
        _label(store, {"sentiment": "neutral"}, post="nope")
