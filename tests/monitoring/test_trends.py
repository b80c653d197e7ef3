"""Trend buckets: counted once, incrementally, restartably, and rolled up on read."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from socialbot.stages.trends import TrendsStage
from socialbot.store import Store
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
from socialbot.watching import counting
from socialbot.watching.series import load_series
from socialbot.watching.tables import TREND_BUCKETS
from tests.monitoring.conftest import add_post

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def _drain(stage: TrendsStage) -> int:
    total = 0
    while n := stage.run_batch():
        total += n
    return total


def _bucket_total(store: Store) -> int:
    with store.reading() as conn:
        return int(
            conn.execute(select(func.coalesce(func.sum(TREND_BUCKETS.c.posts), 0))).scalar_one()
        )


def test_posts_are_counted_per_topic_sentiment_and_platform(any_store: Store) -> None:
    with any_store.transaction() as conn:
        add_post(conn, 1, T0, sentiment="negative", topics=("delivery",))
        add_post(
            conn, 2, T0 + timedelta(minutes=5), sentiment="negative", topics=("delivery", "billing")
        )
        add_post(conn, 3, T0 + timedelta(minutes=20), sentiment="positive", platform="reddit")
    assert _drain(TrendsStage(any_store, bucket=900, batch_size=2)) == 3
    with any_store.reading() as conn:
        by_topic = load_series(
            conn, "acme", start=T0, end=T0 + timedelta(hours=1), width=900, by="topic"
        )
        by_platform = load_series(
            conn, "acme", start=T0, end=T0 + timedelta(hours=1), width=900, by="platform"
        )
        negative = load_series(
            conn,
            "acme",
            start=T0,
            end=T0 + timedelta(hours=1),
            width=900,
            topic="delivery",
            sentiment="negative",
        )
    assert list(by_topic.groups["delivery"]) == [2, 0, 0, 0]
    assert list(by_topic.groups["billing"]) == [1, 0, 0, 0]
    assert list(by_topic.groups["other"]) == [0, 1, 0, 0]
    assert {k: int(v.sum()) for k, v in by_platform.groups.items()} == {"twitter": 2, "reddit": 1}
    assert list(negative.total()) == [2, 0, 0, 0]


def test_counting_is_incremental_and_idempotent(any_store: Store) -> None:
    stage = TrendsStage(any_store, bucket=900)
    with any_store.transaction() as conn:
        add_post(conn, 1, T0)
    assert _drain(stage) == 1
    assert _drain(stage) == 0  # nothing new: nothing recounted
    with any_store.transaction() as conn:
        add_post(conn, 2, T0)
    assert _drain(stage) == 1
    assert _bucket_total(any_store) == 2 * 2  # each post once under its topic, once under "*"


def test_a_crash_mid_batch_counts_nothing_and_the_rerun_counts_once(
    any_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with any_store.transaction() as conn:
        for i in range(5):
            add_post(conn, i, T0 + timedelta(minutes=i))

    def dying_apply(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed while writing the buckets")

    real_apply = counting._apply
    monkeypatch.setattr(counting, "_apply", dying_apply)
    with pytest.raises(RuntimeError):
        TrendsStage(any_store, bucket=900).run_batch()
    assert _bucket_total(any_store) == 0
    monkeypatch.setattr(counting, "_apply", real_apply)
    assert _drain(TrendsStage(any_store, bucket=900)) == 5
    assert _bucket_total(any_store) == 10


def test_a_reclassified_post_moves_to_its_new_buckets(any_store: Store) -> None:
    with any_store.transaction() as conn:
        pk = add_post(conn, 1, T0, sentiment="negative", topics=("delivery",))
    stage = TrendsStage(any_store, bucket=900)
    _drain(stage)
    with any_store.transaction() as conn:  # what `socialbot reclassify` does
        conn.execute(delete(POST_TOPICS).where(POST_TOPICS.c.post_pk == pk))
        conn.execute(POST_TOPICS.insert().values(post_pk=pk, topic="billing", score=0.7))
        conn.execute(
            update(PREDICTIONS)
            .where(PREDICTIONS.c.post_pk == pk)
            .values(
                sentiment="positive",
                classified_at=datetime.now(timezone.utc) + timedelta(seconds=5),
            )
        )
    assert _drain(stage) == 1
    with any_store.reading() as conn:
        rows = {(r.topic, r.sentiment): r.posts for r in conn.execute(select(TREND_BUCKETS))}
    assert rows == {("*", "positive"): 1, ("billing", "positive"): 1}


def test_buckets_roll_up_to_coarser_widths(store: Store) -> None:
    with store.transaction() as conn:
        for i in range(12):  # one post every 10 minutes for two hours
            add_post(conn, i, T0 + timedelta(minutes=10 * i))
    _drain(TrendsStage(store, bucket=900))
    with store.reading() as conn:
        fine = load_series(conn, "acme", start=T0, end=T0 + timedelta(hours=2), width=900)
        hourly = load_series(conn, "acme", start=T0, end=T0 + timedelta(hours=2), width=3600)
    assert list(fine.total()) == [2, 1, 2, 1, 2, 1, 2, 1]
    assert list(hourly.total()) == [6, 6]
    assert hourly.to_json()["series"] == {"posts": [6, 6]}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 48 * 60),
            st.sampled_from(["negative", "neutral", "positive"]),
            st.sampled_from([(), ("delivery",), ("billing",), ("delivery", "billing")]),
        ),
        max_size=40,
    ),
    st.integers(1, 50),
)
def test_bucket_counts_equal_a_direct_count(store: Store, posts: list, batch: int) -> None:  # type: ignore[type-arg]
    with store.transaction() as conn:
        conn.execute(delete(TREND_BUCKETS))
        conn.execute(counting.TREND_COUNTED.delete())
        conn.execute(delete(POST_TOPICS))
        conn.execute(delete(PREDICTIONS))
        conn.execute(counting.POSTS.delete())
        for i, (minute, sentiment, topics) in enumerate(posts):
            add_post(conn, i, T0 + timedelta(minutes=minute), sentiment=sentiment, topics=topics)
    _drain(TrendsStage(store, bucket=3600, batch_size=batch))
    expected: Counter[tuple[str, int]] = Counter()
    for minute, sentiment, _ in posts:
        expected[(sentiment, minute // 60)] += 1
    with store.reading() as conn:
        series = load_series(
            conn, "acme", start=T0, end=T0 + timedelta(hours=49), width=3600, by="sentiment"
        )
    got = Counter(
        {(s, i): int(v) for s, arr in series.groups.items() for i, v in enumerate(arr) if v}
    )
    assert got == expected
