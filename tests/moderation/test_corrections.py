"""Corrections in the queue: key c, one key per answer, enter; and "doesn't need a reply"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from socialbot.config import Config
from socialbot.moderation.app import QueueApp
from socialbot.moderation.corrections import needs_no_reply
from socialbot.moderation.queue import ModerationQueue
from socialbot.store import Store, open_store
from socialbot.store.labels import Label, current_labels
from tests.moderation.support import TOPICS, FakeClock, drafted_store, reply_config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return reply_config(tmp_path)


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    s = open_store(config)
    drafted_store(s, config, 3)  # negative delivery complaints, model version "truth"
    yield s
    s.dispose()


def drive(store: Store, script: Callable[[QueueApp, Pilot[None]], Awaitable[None]]) -> None:
    queue = ModerationQueue(store, moderator="ana", clock=FakeClock(),
                            topics={"parcelly": [t["name"] for t in TOPICS]})
    app = QueueApp(queue)

    async def main() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await script(app, pilot)

    asyncio.run(main())


def labels(store: Store) -> dict[tuple[str, str], Label]:
    with store.engine.connect() as conn:
        return {(lab.post_id, lab.kind): lab for lab in current_labels(conn)}


def message(app: QueueApp) -> str:
    return str(app.query_one("#message", Static).render())


def test_a_moderator_corrects_sentiment_need_and_topics_by_keyboard(store: Store) -> None:
    seen: dict[str, str] = {}

    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        await pilot.press("c")  # the form opens on twitter0, as the model read it
        await pilot.press("u", "k", "1", "2")  # neutral, a question, not delivery but billing
        await pilot.press("a")  # not "approve": the form has the keyboard
        await pilot.press("enter")
        await pilot.pause()
        seen["message"] = message(app)
        await pilot.press("a")  # back on the card: this approves draft 1

    drive(store, script)
    got = labels(store)
    assert got[("twitter0", "sentiment")].value == "neutral"
    assert got[("twitter0", "sentiment")].predicted == "negative"
    assert got[("twitter0", "need")].value == "question"
    assert got[("twitter0", "topic")].value == "billing"
    assert got[("twitter0", "topic")].predicted == "delivery"
    assert {lab.model_version for lab in got.values()} == {"truth"}
    assert {(lab.labeller, lab.source, lab.sample) for lab in got.values()} == {
        ("ana", "queue", "drafted")}
    assert "labelled: neutral, need question, topics billing" in seen["message"]
    from tests.moderation.test_app import rows

    assert rows(store)[1].status == "approved"


def test_saving_the_form_unchanged_confirms_the_model(store: Store) -> None:
    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        await pilot.press("c", "enter")

    drive(store, script)
    got = labels(store)
    assert got[("twitter0", "sentiment")].value == got[("twitter0", "sentiment")].predicted
    assert got[("twitter0", "topic")].value == "delivery"


def test_escape_cancels_the_form_and_stores_nothing(store: Store) -> None:
    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        await pilot.press("c", "p", "escape")
        await pilot.pause()

    drive(store, script)
    assert labels(store) == {}


def test_rejecting_as_not_needing_a_reply_records_need_none_and_undo_withdraws_it(
    store: Store,
) -> None:
    seen: dict[str, dict[tuple[str, str], Label]] = {}

    async def script(app: QueueApp, pilot: Pilot[None]) -> None:
        await pilot.press("r", *"doesn't need a reply", "enter")
        await pilot.pause()
        seen["after reject"] = labels(store)
        await pilot.press("r", *"tone is off", "enter")  # draft 2: a bad draft, no label
        await pilot.pause()
        await pilot.press("u", "u")  # undo both rejections
        await pilot.pause()

    drive(store, script)
    first = seen["after reject"][("twitter0", "need")]
    assert (first.value, first.source, first.sample) == ("none", "reject", "drafted")
    assert ("twitter1", "need") not in seen["after reject"]
    assert labels(store) == {}


@pytest.mark.parametrize(("reason", "means_no_reply"), [
    ("doesn't need a reply", True), ("Does not need a reply: just a joke", True),
    ("no reply needed", True), ("needs no reply", True), ("doesn’t need a reply", True),
    ("the reply is wrong", False), ("needs a reply from billing", False),
])
def test_which_rejection_reasons_mean_no_reply_is_needed(reason: str,
                                                         means_no_reply: bool) -> None:
    assert needs_no_reply(reason) is means_no_reply
