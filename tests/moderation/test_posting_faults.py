"""The posting promise under faults, through the real tweepy connector and a fake X API.

Nothing is sent in dry-run on any path; an undo and edited re-approval while the
poster's batch runs sends the final text or nothing; a reply whose fate cannot be
checked ends as a visible failure instead of being re-checked for ever.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select

from connectors.twitter import TwitterConnector
from socialbot.cli.status_view import render_status
from socialbot.config import Config
from socialbot.moderation.queue import ModerationQueue, QueueError
from socialbot.stages.post import PostStage
from socialbot.status import gather_status
from socialbot.store import Store, open_store
from socialbot.store.drafts import DRAFTS
from socialbot.store.tables import AuditRow
from tests.connectors.conftest import (
    LocalServer,
    Request,
    Response,
    prawcore_sleeps,  # noqa: F401 - the fixture, used below
)
from tests.connectors.fake_x import ENV, FakeX
from tests.moderation.support import FakeClock, drafted_store, reply_config

AUDIT = AuditRow.__table__  # type: ignore[attr-defined]


@pytest.fixture
def x() -> Iterator[tuple[FakeX, LocalServer]]:
    server = LocalServer()
    fake = FakeX(time.time())
    server.app = fake
    yield fake, server
    server.close()


def connector(server: LocalServer) -> TwitterConnector:
    return TwitterConnector("x-parcelly", {"query": "parcelly", "timeout": 2.0}, env=ENV,
                            base_url=server.url, sleep=lambda _s: None)


def config_for(tmp_path: Path, *, dry_run: bool) -> Config:
    return reply_config(tmp_path, posting={"dry_run": dry_run})


def posts_sent(fake: FakeX) -> list[str]:
    """Texts of the replies the fake platform received (accepted or not)."""
    return [json.loads(r.body)["text"] for r in fake.requests
            if r.method == "POST" and r.path == "/2/tweets"]


def drafts(store: Store) -> dict[int, Any]:
    with store.engine.connect() as conn:
        return {r.id: r for r in conn.execute(select(DRAFTS).order_by(DRAFTS.c.id))}


def audit_texts(store: Store, action: str) -> list[str]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(AUDIT.c.detail).where(AUDIT.c.action == action)
                            .order_by(AUDIT.c.id)).all()
    return [json.loads(r.detail)["text"] for r in rows]


def approve(store: Store, clock: FakeClock, n: int) -> ModerationQueue:
    queue = ModerationQueue(store, moderator="ana", clock=clock)
    for _ in range(n):
        item = queue.next()
        assert item is not None
        queue.approve(item)
    return queue


def live_approved(tmp_path: Path, n: int
                  ) -> tuple[Config, Store, FakeClock, ModerationQueue]:
    """A live-posting store with `n` drafts, each approved by one moderator."""
    clock = FakeClock()
    config = config_for(tmp_path, dry_run=False)
    store = open_store(config)
    drafted_store(store, config, n)
    return config, store, clock, approve(store, clock, n)


def test_dry_run_sends_nothing_even_for_drafts_a_live_run_left_posting(
    tmp_path: Path, x: tuple[FakeX, LocalServer]
) -> None:
    fake, server = x
    clock = FakeClock()
    live = config_for(tmp_path, dry_run=False)
    store = open_store(live)
    drafted_store(store, live, 4)
    approve(store, clock, 2)
    # A live batch is interrupted: the platform times out, the drafts stay `posting`.
    fake.faults.extend([Response(503, {"title": "Service Unavailable"})] * 2)
    PostStage(store, live, connector_for=lambda _p, _w: connector(server),
              wall_clock=clock).run_batch()
    assert {d.status for d in drafts(store).values() if d.id <= 2} == {"posting"}
    before = len(fake.requests)

    # The team switches to dry-run; two more drafts are approved; the poster runs on.
    dry = config_for(tmp_path, dry_run=True)
    queue = approve(store, clock, 2)
    assert queue.counts().failed == 0
    clock.advance(minutes=3)  # past the posting lease: recovery looks at drafts 1 and 2
    stage = PostStage(store, dry, connector_for=lambda _p, _w: connector(server),
                      wall_clock=clock)
    assert stage.run_batch() == 4
    assert fake.requests[before:] == []  # not a POST, not even a lookup
    state = drafts(store)
    assert [state[i].status for i in (1, 2, 3, 4)] == ["failed", "failed", "dry-run", "dry-run"]
    assert "dry_run = true" in state[1].error and "look on the platform" in state[1].error
    assert queue.counts().failed == 2
    store.dispose()


def test_undo_and_edited_reapproval_during_the_batch_posts_the_final_text(
    tmp_path: Path, x: tuple[FakeX, LocalServer]
) -> None:
    fake, server = x
    config, store, clock, queue = live_approved(tmp_path, 2)
    original = drafts(store)[2].approved_text
    raced = []

    def connector_for(_platform: str, _watch: str | None) -> TwitterConnector:
        # Called between the poster reading its batch and claiming each draft: the
        # moderator takes back the second approval and approves an edit meanwhile.
        if not raced:
            raced.append(True)
            item = queue.undo()
            assert item.draft_id == 2
            queue.approve(item, "Sorry Jane, a person from our team will DM you today. ^PB")
        return connector(server)

    stage = PostStage(store, config, connector_for=connector_for, wall_clock=clock)
    stage.run_batch()
    stage.run_batch()
    final = "Sorry Jane, a person from our team will DM you today. ^PB"
    assert original != final
    assert original not in posts_sent(fake)
    assert posts_sent(fake).count(final) == 1 and len(posts_sent(fake)) == 2
    assert drafts(store)[2].status == "posted"
    assert audit_texts(store, "draft.posted")[-1] == final
    store.dispose()


def test_an_approval_cannot_be_undone_once_posting_has_begun(
    tmp_path: Path, x: tuple[FakeX, LocalServer]
) -> None:
    fake, server = x
    config, store, clock, queue = live_approved(tmp_path, 1)
    undo_errors: list[str] = []

    def app(request: Request) -> Response:
        if request.method == "POST":  # the moderator presses undo while the POST is out
            try:
                queue.undo()
            except QueueError as exc:
                undo_errors.append(str(exc))
        return fake(request)

    server.app = app
    PostStage(store, config, connector_for=lambda _p, _w: connector(server),
              wall_clock=clock).run_batch()
    assert undo_errors and "can no longer be undone" in undo_errors[0]
    assert drafts(store)[1].status == "posted" and len(posts_sent(fake)) == 1
    store.dispose()


def test_a_reply_that_cannot_be_checked_fails_visibly_after_the_limit(
    tmp_path: Path, x: tuple[FakeX, LocalServer]
) -> None:
    fake, server = x
    config, store, clock, queue = live_approved(tmp_path, 1)

    def app(request: Request) -> Response:
        if request.path == "/2/users/me":  # the own-user lookup keeps failing
            return Response(404, {"title": "Not Found Error", "detail": "Could not find user"})
        if request.method == "POST":
            return Response(500, {"title": "Internal Server Error"})
        return fake(request)

    server.app = app
    stage = PostStage(store, config, connector_for=lambda _p, _w: connector(server),
                      wall_clock=clock)
    stage.run_batch()
    assert drafts(store)[1].status == "posting"
    for _ in range(5):  # each batch checks again, in vain
        clock.advance(minutes=5)
        stage.run_batch()
        assert drafts(store)[1].status == "posting"
        assert "cannot check yet" in drafts(store)[1].error
    clock.advance(minutes=6)
    assert stage.run_batch() == 1
    failed = drafts(store)[1]
    assert failed.status == "failed"
    assert "could not confirm for 3" in failed.error and "post it by hand" in failed.error
    assert queue.counts().failed == 1
    screen = Console(record=True, width=200)
    render_status(screen, gather_status(store))
    shown = screen.export_text()
    assert "approved drafts not posted" in shown and "could not confirm for 3" in shown
    checks = [r for r in fake.requests if r.path == "/2/users/me"]
    clock.advance(minutes=30)
    stage.run_batch()
    assert [r for r in fake.requests if r.path == "/2/users/me"] == checks  # not for ever
    store.dispose()


@pytest.mark.usefixtures("prawcore_sleeps")
def test_reddit_accepting_a_reply_then_failing_leaves_one_reply(tmp_path: Path) -> None:
    from connectors.reddit import RedditConnector
    from socialbot.stages.draft import DraftStage
    from tests.connectors.fake_reddit import ENV as REDDIT_ENV
    from tests.connectors.fake_reddit import FakeReddit
    from tests.moderation.support import EchoGenerator, add_post

    server = LocalServer()
    fake = FakeReddit(time.time())
    server.app = fake
    clock = FakeClock()
    config = config_for(tmp_path, dry_run=False)
    store = open_store(config)
    submission = fake.submission("parcelly lost my order", sub="parcelly")
    add_post(store, submission, "@parcelly my order is lost", platform="reddit",
             url=f"https://www.reddit.com/r/parcelly/comments/{submission}/x/")
    drafter = DraftStage(store, config, generator_factory=EchoGenerator, wall_clock=clock)
    while drafter.run_batch():
        pass
    approve(store, clock, 1)
    reddit = RedditConnector("rd-parcelly", {"subreddits": ["parcelly"], "timeout": 2.0},
                             env=REDDIT_ENV, base_url=server.url, sleep=lambda _s: None)
    stage = PostStage(store, config, connector_for=lambda _p, _w: reddit, wall_clock=clock)
    fake.after_comment.append(Response(500, b"internal error"))  # stored, then 500
    try:
        stage.run_batch()
        assert drafts(store)[1].status == "posting"
        clock.advance(minutes=3)
        stage.run_batch()
        ours = [n for n, item in fake.items.items() if item["data"].get("author") == "brandbot"]
        assert len(ours) == 1
        assert len([r for r in fake.requests if r.path.startswith("/api/comment")]) == 1
        assert drafts(store)[1].status == "posted"
        assert drafts(store)[1].platform_reply_id.endswith(ours[0].split("_")[-1])
    finally:
        reddit.close()
        server.close()
        store.dispose()
