"""The posts that matter first: the drafting backlog and the queue in urgency order, and
posts that waited past `[drafting] max_post_age` skipped with the reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from socialbot.config import Config
from socialbot.drafting.priority import Urgency, priority
from socialbot.moderation.listing import explain
from socialbot.moderation.queue import ModerationQueue
from socialbot.stages.draft import DraftStage
from socialbot.store import Store, open_store
from socialbot.store.drafts import DRAFT_DECISIONS, DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.watching.tables import ALERTS
from tests.moderation.support import T0, EchoGenerator, FakeClock, add_post, reply_config

WEEK = 7 * 24 * 60  # minutes


def config_for(tmp_path: Path, **drafting: Any) -> Config:
    return reply_config(tmp_path, drafting={"max_pending": 100, "batch_size": 2, **drafting})


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return config_for(tmp_path)


@pytest.fixture
def store(config: Config) -> Any:
    s = open_store(config)
    yield s
    s.dispose()


def open_alert(store: Store, topic: str, *, since_minutes: float) -> None:
    """An open incident on `topic` whose window began `since_minutes` after T0."""
    start = T0 + timedelta(minutes=since_minutes)
    with store.transaction() as conn:
        conn.execute(insert(ALERTS).values(
            watch="parcelly", rule=f"negative_spike:{topic}", kind="negative_spike", topic=topic,
            status="open", started_at=start, window_start=start,
            window_end=start + timedelta(hours=1), observed=15, baseline=2, score=1e-6,
            peak=15, detail="{}", revision=1, created_at=start, updated_at=start,
        ))


def stage(store: Store, config: Config, clock: FakeClock) -> DraftStage:
    return DraftStage(store, config, generator_factory=EchoGenerator,  # type: ignore[arg-type]
                      wall_clock=clock)


def drafted_posts(store: Store) -> list[str]:
    """Post ids in the order their drafts were written."""
    with store.engine.connect() as conn:
        return list(conn.execute(
            select(POSTS.c.post_id).join(DRAFTS, DRAFTS.c.post_pk == POSTS.c.id)
            .order_by(DRAFTS.c.id)
        ).scalars())


def test_the_incidents_complaints_are_drafted_before_last_weeks_posts(
    any_store: Store, config: Config
) -> None:
    store = any_store
    for i in range(4):  # the backlog from last week, oldest first as ingest saw it
        add_post(store, f"old{i}", f"@parcelly order {i} is late", author=f"old{i}",
                 minutes=-WEEK + i)
    add_post(store, "chat", "@parcelly what time does support open?", author="q",
             sentiment="neutral", topics=("customer_service",), minutes=-30)
    for i in range(3):  # this morning's incident
        add_post(store, f"now{i}", f"@parcelly tracking stuck again {i}", author=f"now{i}",
                 minutes=i)
    open_alert(store, "delivery", since_minutes=-15)
    draft = stage(store, config, FakeClock(T0 + timedelta(hours=1)))
    draft.decide_batch()
    assert draft.draft_batch() == 2
    assert sorted(drafted_posts(store)) == ["now1", "now2"]  # newest incident posts first
    while draft.run_batch():
        pass
    assert drafted_posts(store) == ["now2", "now1", "now0", "chat", "old3", "old2", "old1",
                                    "old0"]


def test_an_open_alert_and_a_complaint_outrank_a_few_minutes(
    store: Store, config: Config
) -> None:
    add_post(store, "billing", "@parcelly charged twice", author="a", topics=("billing",),
             minutes=10)
    add_post(store, "question", "@parcelly is support open on sundays?", author="b",
             sentiment="neutral", topics=("customer_service",), minutes=10)
    add_post(store, "incident", "@parcelly parcel lost", author="c", minutes=0)
    open_alert(store, "delivery", since_minutes=-5)
    draft = stage(store, config, FakeClock(T0 + timedelta(minutes=20)))
    while draft.run_batch():
        pass
    assert drafted_posts(store)[0] == "incident"
    assert drafted_posts(store).index("billing") < drafted_posts(store).index("question")


def test_the_queue_offers_the_most_urgent_draft_first(store: Store, config: Config) -> None:
    add_post(store, "old", "@parcelly order late", author="a", minutes=-2 * 24 * 60)
    add_post(store, "new", "@parcelly order late again", author="b", minutes=0)
    add_post(store, "question", "@parcelly do you deliver on sundays?", author="c",
             sentiment="neutral", minutes=1)
    clock = FakeClock(T0 + timedelta(minutes=5))
    draft = stage(store, config, clock)
    while draft.run_batch():
        pass
    queue = ModerationQueue(store, moderator="ana", clock=clock)
    offered = []
    while (item := queue.next()) is not None:
        offered.append(item.post_id)
    assert offered == ["new", "question", "old"]


def test_a_post_that_waited_past_max_post_age_is_skipped_with_the_reason(
    any_store: Store, tmp_path: Path,
) -> None:
    config = config_for(tmp_path, max_post_age="24h")
    store = any_store
    add_post(store, "stale", "@parcelly where is my parcel, 3 days now", author="a",
             minutes=-3 * 24 * 60)
    add_post(store, "fresh", "@parcelly my parcel is late", author="b", minutes=0)
    # The wall clock is a month on (a replayed archive): age counts on the posts' clock.
    draft = stage(store, config, FakeClock(T0 + timedelta(days=30)))
    while draft.run_batch():
        pass
    assert drafted_posts(store) == ["fresh"]
    [why] = explain(store, "stale", reply_watches=["parcelly"])
    assert why["reason"] == "too_old" and why["draft"] is None
    assert why["verdict"] == ("no draft (too_old): waited 3.0d for a draft, longer than "
                              "[drafting] max_post_age 24.0h")
    with store.engine.connect() as conn:
        assert draft.progress(conn)["awaiting draft"] == 0
        decisions = dict(conn.execute(
            select(DRAFT_DECISIONS.c.reason, DRAFT_DECISIONS.c.decision)).all())
    assert decisions == {"too_old": "skip", "negative": "draft"}


def test_the_score_weights_as_documented() -> None:
    fresh = Urgency(T0, complaint=0.0, in_open_alert=False, direct=False)
    assert priority(fresh, now=T0) == pytest.approx(3.0)
    assert priority(fresh, now=T0 + timedelta(hours=6)) == pytest.approx(1.5)
    assert priority(fresh, now=T0 - timedelta(hours=1)) == pytest.approx(3.0)  # never > fresh
    loud = Urgency(T0, complaint=1.0, in_open_alert=True, direct=True)
    assert priority(loud, now=T0) == pytest.approx(3.0 + 2.0 + 2.0 + 1.0)
