"""The Textual queue, driven headless with a pilot: approve, edit, reject, skip, undo."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from textual.pilot import Pilot
from textual.widgets import Static

from socialbot.config import Config
from socialbot.moderation.app import QueueApp
from socialbot.moderation.queue import ModerationQueue
from socialbot.store import Store, open_store
from socialbot.store.drafts import DRAFTS
from socialbot.store.predictions import PREDICTIONS
from socialbot.store.tables import AuditRow
from tests.moderation.support import FakeClock, drafted_store, reply_config

AUDIT = AuditRow.__table__  # type: ignore[attr-defined]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return reply_config(tmp_path)


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    s = open_store(config)
    drafted_store(s, config, 4)
    yield s
    s.dispose()


def drive(store: Store, script: Callable[[QueueApp, Pilot[None]], Awaitable[None]]) -> QueueApp:
    app = QueueApp(ModerationQueue(store, moderator="ana", clock=FakeClock()))

    async def main() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await script(app, pilot)

    asyncio.run(main())
    return app


def text_of(app: QueueApp, widget_id: str) -> str:
    return str(app.query_one(f"#{widget_id}", Static).render())


def rows(store: Store) -> dict[int, Any]:
    with store.engine.connect() as conn:
        return {r.id: r for r in conn.execute(select(DRAFTS).order_by(DRAFTS.c.id))}


def actions(store: Store) -> list[tuple[str, str, dict[str, Any]]]:
    with store.engine.connect() as conn:
        return [(r.action, r.subject, json.loads(r.detail))
                for r in conn.execute(select(AUDIT).where(AUDIT.c.action != "draft.created")
                                      .order_by(AUDIT.c.id))]


def test_the_screen_shows_the_post_its_context_and_the_draft(store: Store) -> None:
    seen: dict[str, str] = {}

    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        seen.update(post=text_of(app, "post"), draft=text_of(app, "draft"),
                    flags=text_of(app, "flags"), counts=text_of(app, "counts"))

    drive(store, script)
    assert "@user0" in seen["post"] and "@parcelly order 0 is late" in seen["post"]
    assert "negative 80%" in seen["post"] and "delivery" in seen["post"]
    assert "unsure" not in seen["post"]
    assert "why a draft: mentions @parcelly; negative sentiment (delivery)" in seen["post"]
    assert "Sorry about that, @user0" in seen["draft"]
    assert "passes the guardrails" in seen["flags"]
    assert "pending 4" in seen["counts"]


def test_approve_edit_reject_and_undo_by_keyboard(store: Store) -> None:
    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        await pilot.press("a")  # draft 1 as drafted
        await pilot.press("e")  # draft 2, edited
        editor = app.query_one("#editor")
        editor.text = ""  # type: ignore[attr-defined]
        await pilot.press(*"Sorry! We'll DM you now.")
        await pilot.press("ctrl+s")
        await pilot.press("r")  # draft 3, rejected with a reason
        await pilot.press(*"already sorted", "enter")
        await pilot.press("u")  # undo the rejection: draft 3 is back on screen
        await pilot.pause()
        assert "@user2" in text_of(app, "post")
        await pilot.press("s")  # skip it; draft 4 shows
        await pilot.pause()
        assert "@user3" in text_of(app, "post")
        assert "approved today 2" in text_of(app, "counts")
        await pilot.press("q")

    app = drive(store, script)
    drafts = rows(store)
    assert drafts[1].status == "approved" and drafts[1].approved_text == drafts[1].text
    assert drafts[2].status == "approved"
    assert drafts[2].approved_text == "Sorry! We'll DM you now."
    assert drafts[3].status == "pending" and drafts[3].claimed_by is None
    assert drafts[4].status == "pending" and drafts[4].claimed_by is None  # released on quit
    assert [(a, s) for a, s, _ in actions(store)] == [
        ("draft.approve", "draft:1"), ("draft.edit_approve", "draft:2"),
        ("draft.reject", "draft:3"), ("draft.undo", "draft:3"),
    ]
    assert actions(store)[2][2]["reason"] == "already sorted"
    assert app.return_code in (None, 0)


def test_undo_after_an_edit_shows_the_edited_text_again(store: Store) -> None:
    edit = "Sorry! We'll DM you now. ^PB"
    seen: dict[str, str] = {}

    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        await pilot.press("e")
        app.query_one("#editor").text = ""  # type: ignore[attr-defined]
        await pilot.press(*edit)
        await pilot.press("ctrl+s")  # approved; draft 2 is on screen
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        seen.update(post=text_of(app, "post"), draft=text_of(app, "draft"))
        await pilot.press("e")  # editing again starts from the moderator's text
        seen["editor"] = app.query_one("#editor").text  # type: ignore[attr-defined]
        await pilot.press("escape")

    drive(store, script)
    assert "@user0" in seen["post"]
    assert seen["draft"] == edit and seen["editor"] == edit
    assert "Sorry about that, @user0" not in seen["draft"]
    assert rows(store)[1].status == "pending" and rows(store)[1].text == edit


def test_letters_typed_while_editing_are_text_not_commands(store: Store) -> None:
    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        await pilot.press("e")
        await pilot.press(*" - as requested")  # contains a, s, r, q, u, e
        await pilot.press("escape")
        await pilot.pause()

    drive(store, script)
    assert all(r.status == "pending" for r in rows(store).values())
    assert actions(store) == []


def test_an_empty_queue_says_so(tmp_path: Path) -> None:
    config = reply_config(tmp_path)
    empty = open_store(config)
    seen: dict[str, str] = {}

    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        seen["post"] = text_of(app, "post")
        await pilot.press("a", "u")  # nothing to act on: no crash
        seen["message"] = text_of(app, "message")

    drive(empty, script)
    empty.dispose()
    assert "No pending drafts" in seen["post"]
    assert "nothing to undo" in seen["message"]


def test_a_flagged_edit_needs_a_second_ctrl_s(store: Store) -> None:
    seen: dict[str, str] = {}

    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        await pilot.press("e")
        app.query_one("#editor").text = "See https://status.example.io"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        seen["warning"] = text_of(app, "message")
        seen["status"] = rows(store)[1].status
        await pilot.press("ctrl+s")
        await pilot.pause()

    drive(store, script)
    assert "link" in seen["warning"] and "again" in seen["warning"]
    assert seen["status"] == "pending"
    assert rows(store)[1].approved_text == "See https://status.example.io"


def test_a_reply_the_team_posted_by_hand_is_shown_as_a_warning(store: Store) -> None:
    from tests.moderation.support import add_post

    add_post(store, "b1", "@user0 so sorry! DM us", author="parcelly", in_reply_to="twitter0",
             sentiment=None)
    seen: dict[str, str] = {}
    queue = ModerationQueue(store, moderator="ana", clock=FakeClock(),
                            handles={"parcelly": {"parcelly"}})
    app = QueueApp(queue)

    async def main() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            seen["post"] = text_of(app, "post")

    asyncio.run(main())
    assert "already answered by @parcelly: @user0 so sorry! DM us" in seen["post"]


def test_a_coin_toss_sentiment_is_marked_unsure(store: Store) -> None:
    with store.transaction() as conn:  # the classifier barely preferred "negative"
        conn.execute(update(PREDICTIONS).values(p_negative=0.41, p_neutral=0.38, p_positive=0.21))
    seen: dict[str, str] = {}

    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        seen.update(post=text_of(app, "post"))

    drive(store, script)
    assert "negative 41% unsure" in seen["post"]
