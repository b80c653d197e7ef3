"""A store holding every kind of row that refers to a post or an author, for several authors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from socialbot.domain import Page, Post
from socialbot.store import Store, lifecycle
from socialbot.store.drafts import DRAFT_DECISIONS, DRAFTS
from socialbot.store.grounding import SAVED_REPLIES
from socialbot.store.ingest import POSTS, QUARANTINE, write_page
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
from socialbot.store.usage import BILLED_READS
from socialbot.watching.series import load_series
from socialbot.watching.tables import ALERTS, OUTBOX

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
BUCKET = 900.0
WATCH = "acme"


def add_post(conn: Connection, post_id: str, *, author: str, at: datetime,
             platform: str = "twitter", sentiment: str = "negative",
             topics: tuple[str, ...] = ("delivery",), source: str = "test",
             kind: str = "replay", ingested: datetime | None = None) -> int:
    """A stored, classified post; returns its row id."""
    post = Post(platform, post_id, f"{author} says parcel {post_id} is late", at,
                author=author)
    write_page(conn, Page([post]), source=source, kind=kind, watch=WATCH,
               now=ingested or at)
    pk = int(conn.execute(select(POSTS.c.id).where(
        POSTS.c.platform == platform, POSTS.c.post_id == post_id)).scalar_one())
    conn.execute(insert(PREDICTIONS).values(
        post_pk=pk, sentiment=sentiment, p_negative=0.8, p_neutral=0.1, p_positive=0.1,
        topics=json.dumps([{"name": t, "score": 0.9} for t in topics]),
        model_version="test", watch=WATCH, classified_at=at, embedding=b"\x00\x01" * 4))
    conn.execute(insert(POST_TOPICS), [{"post_pk": pk, "topic": t, "score": 0.9}
                                       for t in topics])
    return pk


def add_draft(conn: Connection, pk: int, *, status: str = "pending",
              now: datetime = NOW) -> int:
    """A drafted reply to post `pk` (with the policy's decision), moved to `status`."""
    post = conn.execute(select(POSTS).where(POSTS.c.id == pk)).one()
    conn.execute(insert(DRAFT_DECISIONS).values(
        post_pk=pk, watch=WATCH, platform=post.platform, author=post.author,
        post_created_at=post.created_at, decision="draft", reason="complaint", detail="",
        decided_at=now))
    lifecycle.drafted(conn, {
        "post_pk": pk, "watch": WATCH, "platform": post.platform,
        "text": f"Sorry @{post.author}, we are on it", "flags": "[]", "attempts": 1,
        "generator_version": "test", "seed": 0}, now=now)
    draft_id = int(conn.execute(select(DRAFTS.c.id).where(DRAFTS.c.post_pk == pk)).scalar_one())
    if status != "pending":  # test set-up: the lifecycle's own guards are tested elsewhere
        conn.execute(DRAFTS.update().where(DRAFTS.c.id == draft_id).values(
            status=status, approved_text=f"Sorry @{post.author}, we are on it"))
    return draft_id


def quote(conn: Connection, pk: int) -> dict[str, Any]:
    post = conn.execute(select(POSTS).where(POSTS.c.id == pk)).one()
    return {"platform": post.platform, "id": post.post_id, "author": post.author,
            "text": post.text, "url": None, "created_at": post.created_at.isoformat(),
            "p_negative": 0.8}


def add_alert(conn: Connection, pks: list[int], *, now: datetime = NOW) -> int:
    """An alert quoting these posts, with one delivery still queued."""
    detail = {"method": "test", "posts": [quote(conn, pk) for pk in pks], "phrases": []}
    alert_id = int(conn.execute(insert(ALERTS).values(
        watch=WATCH, rule="negative_spike:all", kind="negative_spike", topic="",
        status="open", started_at=now, window_start=now - timedelta(hours=1), window_end=now,
        observed=9.0, baseline=2.0, score=0.001, peak=9.0, detail=json.dumps(detail),
        revision=1, created_at=now, updated_at=now).returning(ALERTS.c.id)).scalar_one())
    conn.execute(insert(OUTBOX).values(
        alert_id=alert_id, revision=1, event="opened", channel="ops",
        payload=json.dumps({"id": alert_id, "posts": detail["posts"], "event": "opened"}),
        status="pending", attempts=0, next_attempt_at=now, expires_at=now + timedelta(days=1),
        created_at=now))
    return alert_id


def add_saved_reply(conn: Connection, pk: int, *, now: datetime = NOW) -> None:
    conn.execute(insert(SAVED_REPLIES).values(
        watch=WATCH, name="late parcel", topic="delivery", intent="complaint",
        text="Sorry @{handle}, we are on it", post_pk=pk, source="queue", created_by="ana",
        created_at=now, updated_at=now))


def add_billed_read(conn: Connection, post_id: str, *, platform: str = "twitter") -> None:
    conn.execute(insert(BILLED_READS).values(platform=platform, day=NOW.date(),
                                             post_id=post_id, source="test"))


def add_quarantined(conn: Connection, author: str, n: int) -> None:
    raw = json.dumps({"platform": "twitter", "id": f"q{n}", "author": author, "text": "x"})
    conn.execute(insert(QUARANTINE).values(source="test", position=f"line {n}",
                                           reason="missing created_at", raw=raw,
                                           fingerprint=f"fp{n}", created_at=NOW))


def count_trends(store: Store) -> None:
    """Run the trends stage until every prediction is counted."""
    from socialbot.stages.trends import TrendsStage

    stage = TrendsStage(store, bucket=BUCKET)
    while stage.run_batch():
        pass


def trend_totals(store: Store, *, start: datetime, end: datetime,
                 by: Any = "sentiment", width: float = BUCKET) -> dict[str, list[int]]:
    """What `socialbot trends` reads: counts per bucket and group."""
    with store.reading() as conn:
        series = load_series(conn, WATCH, start=start, end=end, width=width, by=by)
    return {k: [int(x) for x in v] for k, v in sorted(series.groups.items())}
