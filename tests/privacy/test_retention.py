"""`[privacy] retention`: old posts go with what refers to them; in-flight replies and the
trend counts stay."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from socialbot.config import parse_config
from socialbot.errors import ConfigError
from socialbot.privacy.tables import ERASURE_LOG
from socialbot.stages.privacy import RetentionStage
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS
from socialbot.store.ingest import POSTS, QUARANTINE
from socialbot.store.predictions import PREDICTIONS
from socialbot.watching.tables import ALERTS
from tests.moderation.support import FakeClock
from tests.privacy.world import (
    NOW,
    add_alert,
    add_draft,
    add_post,
    add_quarantined,
    count_trends,
    trend_totals,
)

DAY = timedelta(days=1)


def _drain(stage: RetentionStage) -> int:
    erased = 0
    while handled := stage.run_batch():
        erased += handled
    return erased


def test_retention_erases_old_posts_keeps_in_flight_replies_and_the_trend_counts(
        any_store: Store) -> None:
    with any_store.transaction() as conn:
        old = [add_post(conn, f"o{i}", author=f"user{i}", at=NOW - 100 * DAY + i * DAY)
               for i in range(6)]
        recent = [add_post(conn, f"n{i}", author=f"user{i}", at=NOW - i * DAY)
                  for i in range(3)]
        add_draft(conn, old[0], status="approved")  # the poster has yet to send it
        add_draft(conn, old[1], status="posting")
        add_draft(conn, old[2], status="rejected")
        add_draft(conn, recent[0], status="pending")
        alert = add_alert(conn, [old[3], recent[1]])
        add_quarantined(conn, "user1", 1)
    count_trends(any_store)
    span = {"start": NOW - 101 * DAY, "end": NOW + DAY, "width": 86400.0}
    before = trend_totals(any_store, **span)  # type: ignore[arg-type]
    clock = FakeClock(NOW)
    stage = RetentionStage(any_store, retention=90 * 86400.0, batch_size=2, clock=clock)

    assert _drain(stage) == 4  # o2..o5, two per transaction

    with any_store.reading() as conn:
        kept = set(conn.execute(select(POSTS.c.post_id)).scalars())
        predictions = conn.execute(select(func.count()).select_from(PREDICTIONS)).scalar_one()
        drafts = set(conn.execute(select(DRAFTS.c.status)).scalars())
        quoted = conn.execute(select(ALERTS.c.detail).where(ALERTS.c.id == alert)).scalar_one()
        logged = conn.execute(select(func.sum(ERASURE_LOG.c.posts))).scalar_one()
        quarantined = conn.execute(select(func.count()).select_from(QUARANTINE)).scalar_one()
    assert kept == {"o0", "o1", "n0", "n1", "n2"}
    assert predictions == 5
    assert drafts == {"approved", "posting", "pending"}
    assert '"o3"' not in quoted and '"n1"' in quoted
    assert logged == 4
    assert quarantined == 1  # recorded today: not old yet
    assert trend_totals(any_store, **span) == before  # type: ignore[arg-type]
    # the approved reply is sent later: then its post goes too
    with any_store.transaction() as conn:
        conn.execute(DRAFTS.update().where(DRAFTS.c.post_pk == old[0]).values(status="posted"))
    assert stage.run_batch() == 0  # nothing was left an hour ago: it rests
    clock.advance(hours=1)
    assert _drain(stage) == 1


def test_a_post_not_yet_counted_waits_for_the_trends(store: Store) -> None:
    with store.transaction() as conn:
        add_post(conn, "late", author="a", at=NOW - 100 * DAY, ingested=NOW)
        add_post(conn, "never", author="b", at=NOW - 100 * DAY, ingested=NOW - 95 * DAY)
    stage = RetentionStage(store, retention=90 * 86400.0, clock=FakeClock(NOW))
    assert _drain(stage) == 1  # stored longer than the limit itself: it goes uncounted
    with store.reading() as conn:
        assert list(conn.execute(select(POSTS.c.post_id)).scalars()) == ["late"]


@pytest.mark.parametrize(("value", "message"), [
    ("90 days", "privacy.retention: expected a duration like"),
    ("2h", "privacy.retention: at least 1d"),
    (-5, "privacy.retention: a duration must be positive"),
])
def test_a_bad_retention_is_one_clear_error(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config({"privacy": {"retention": value}})


def test_retention_is_a_daemon_job_only_when_configured(tmp_path: Path) -> None:
    from socialbot.stages import StageContext, build_stages
    from tests.conftest import make_config

    for retention, expected in ((None, []), ("90d", ["retention"])):
        privacy = {"retention": retention} if retention else {}
        config = make_config(tmp_path, privacy=privacy)
        assert config.privacy.retention == (90 * 86400.0 if retention else None)
        from socialbot.store import open_store

        store = open_store(config)
        stages = build_stages(StageContext(config=config, store=store), only={"privacy"})
        assert [s.name for s in stages] == expected
        store.dispose()
