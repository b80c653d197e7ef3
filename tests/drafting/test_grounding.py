"""Drafts grounded in what the brand said before: saved replies sent as is, approved
replies shown to the generator for similar posts, and the queue naming the source."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from textual.widgets import Static

from models.prompting import DraftRequest, user_prompt
from socialbot.config import Config, parse_config
from socialbot.drafting.drafter import DraftResult
from socialbot.errors import ConfigError
from socialbot.grounding.grounder import readdressed
from socialbot.grounding.saved import (
    check_saved_replies,
    mentions_a_keyword,
    saved_replies,
    unsendable,
)
from socialbot.grounding.slots import fill, post_values
from socialbot.grounding.vectors import pack
from socialbot.moderation.app import QueueApp
from socialbot.moderation.queue import ModerationQueue, QueueError, QueueItem
from socialbot.stages.draft import DraftStage
from socialbot.store import Store, open_store
from socialbot.store.drafts import DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS
from tests.moderation.support import EchoGenerator, FakeClock, add_post, reply_config

LATE = {
    "name": "late delivery",
    "topic": "delivery",
    "intent": "complaint",
    "text": "Hi {first_name|there}, sorry your order is running late! Send us a DM with the "
            "order number and we'll chase the courier for you.",
}


def config_with(tmp_path: Path, saved: Sequence[dict[str, Any]] = (LATE,), **drafting: Any,
                ) -> Config:
    base = reply_config(tmp_path, drafting={"max_pending": 100, **drafting})
    data = base.model_dump(exclude={"path"})
    data["watch"][0]["saved_reply"] = list(saved)
    return parse_config(data, path=base.path)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return config_with(tmp_path)


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    s = open_store(config)
    yield s
    s.dispose()


class CountingFactory:
    """A generator factory that remembers whether the model was ever loaded."""

    def __init__(self, generator: EchoGenerator | None = None) -> None:
        self.generator = generator or EchoGenerator()
        self.loads = 0

    def __call__(self) -> EchoGenerator:
        self.loads += 1
        return self.generator


def run(store: Store, config: Config, factory: CountingFactory) -> None:
    stage = DraftStage(store, config, generator_factory=factory,  # type: ignore[arg-type]
                       wall_clock=FakeClock())
    while stage.run_batch():
        pass


def embed(store: Store, post_pk: int, *vector: float) -> None:
    """Give a post the classifier embedding `vector` (the classify stage stores one)."""
    with store.transaction() as conn:
        conn.execute(update(PREDICTIONS).where(PREDICTIONS.c.post_pk == post_pk)
                     .values(embedding=pack(vector)))


def draft_of(store: Store, post_id: str) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(select(DRAFTS).join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
                            .where(POSTS.c.post_id == post_id)).one()


def prompts(generator: EchoGenerator) -> dict[str, str]:
    """post text -> the user prompt the generator was given for it (last attempt)."""
    return {r.text: user_prompt(r) for reqs, _ in generator.calls for r in reqs}


def drafted(store: Store, config: Config, post_ids: str) -> tuple[list[str], dict[str, str]]:
    """Run the draft stage: each of `post_ids`' draft's generator_version, and the prompts
    the generator was given, by post text."""
    factory = CountingFactory()
    run(store, config, factory)
    return [draft_of(store, p).generator_version for p in post_ids], prompts(factory.generator)


def test_a_fitting_saved_reply_is_the_draft_with_slots_filled_and_no_model(
    store: Store, config: Config
) -> None:
    add_post(store, "1", "@parcelly my order never arrived", author="amy_reid")
    add_post(store, "2", "@parcelly parcel is two days late", author="moali59", minutes=1)
    factory = CountingFactory()
    run(store, config, factory)
    assert factory.loads == 0 and factory.generator.calls == []
    amy, mo = draft_of(store, "1"), draft_of(store, "2")
    assert amy.text == ("Hi Amy, sorry your order is running late! Send us a DM with the order "
                        "number and we'll chase the courier for you. ^PB")
    assert mo.text.startswith("Hi there, sorry")  # no first name in "moali59": the fallback
    [saved] = saved_replies(store.engine.connect(), "parcelly")
    assert (amy.generator_version, amy.saved_reply_id, amy.example_ids) == (
        "saved-reply", saved.id, None)
    assert amy.status == "pending" and amy.flags == "[]"


@pytest.mark.parametrize("post, why", [
    ("@parcelly my order never arrived, where is it?", "a question wants its own answer"),
    ("@parcelly my order never arrived and I was charged twice", "two topics"),
])
def test_a_post_needing_more_is_generated_with_the_saved_reply_in_the_prompt(
    store: Store, config: Config, post: str, why: str
) -> None:
    topics = ("delivery", "billing") if "charged" in post else ("delivery",)
    add_post(store, "1", post, author="amy_reid", topics=topics)
    factory = CountingFactory()
    run(store, config, factory)
    prompt = prompts(factory.generator)[post]
    assert "The brand's saved reply for posts like this: \"Hi Amy, sorry your order" in prompt, why
    draft = draft_of(store, "1")
    assert draft.generator_version == "echo-1" and draft.saved_reply_id is not None


def test_a_saved_reply_for_another_topic_or_intent_is_not_used(
    store: Store, config: Config
) -> None:
    add_post(store, "1", "@parcelly I was charged twice", topics=("billing",))
    add_post(store, "2", "@parcelly can I change my delivery slot?", sentiment="neutral",
             author="bob", minutes=1)
    factory = CountingFactory()
    run(store, config, factory)
    assert all("saved reply" not in p for p in prompts(factory.generator).values())
    assert draft_of(store, "1").saved_reply_id is None
    assert draft_of(store, "2").saved_reply_id is None


def approve(store: Store, post_id: str, text: str | None = None) -> None:
    """A moderator approves the draft for `post_id` (with `text`, an edit)."""
    queue = ModerationQueue(store, moderator="ana", clock=FakeClock())
    while (item := queue.next()) is not None:
        if item.post_id == post_id:
            queue.approve(item, text)
            break
        queue.skip(item)
    queue.release()


def test_approved_replies_become_examples_for_similar_posts(tmp_path: Path) -> None:
    config = config_with(tmp_path, saved=())
    store = open_store(config)
    first = add_post(store, "1", "@parcelly the app crashes at checkout", topics=("app_bugs",))
    embed(store, first, 1.0, 0.1, 0.0)
    run(store, config, CountingFactory())
    edited = "So sorry! Updating the app to 4.2 fixes the checkout crash. ^PB"
    approve(store, "1", edited)  # an edit counts with the moderator's words

    similar = add_post(store, "2", "@parcelly checkout keeps crashing on me", author="bob",
                       topics=("app_bugs",), minutes=5)
    embed(store, similar, 0.9, 0.2, 0.05)
    unrelated = add_post(store, "3", "@parcelly my strawberries were mouldy", author="cat",
                         topics=("product_quality",), minutes=6)
    embed(store, unrelated, 0.0, 0.1, 1.0)
    factory = CountingFactory()
    run(store, config, factory)
    seen = prompts(factory.generator)
    assert ("Replies the brand approved for similar posts:\n"
            f'- To "@parcelly the app crashes at checkout": "{edited}"'
            ) in seen["@parcelly checkout keeps crashing on me"]
    assert "approved" not in seen["@parcelly my strawberries were mouldy"]
    first_id = draft_of(store, "1").id
    assert draft_of(store, "2").example_ids == f"[{first_id}]"
    assert draft_of(store, "3").example_ids is None
    store.dispose()


def card(store: Store, post_id: str) -> tuple[str, str]:
    """The queue card's draft title for `post_id`'s draft, as the moderator sees it."""
    seen: dict[str, str] = {}
    queue = ModerationQueue(store, moderator="ana", clock=FakeClock())
    item = queue.next()
    while item is not None and item.post_id != post_id:
        queue.skip(item)
        item = queue.next()
    queue.release()
    assert item is not None
    queue._skipped.clear()
    queue._undo.clear()
    app = QueueApp(queue)

    async def main() -> None:
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause()
            while app.item is not None and app.item.post_id != post_id:
                await pilot.press("s")
            draft = app.query_one("#draft", Static)
            seen["title"] = str(draft.border_title)
            seen["text"] = str(draft.render())

    asyncio.run(main())
    return seen["title"], seen["text"]


def test_the_queue_card_names_the_saved_reply_or_the_examples(tmp_path: Path) -> None:
    config = config_with(tmp_path)
    store = open_store(config)
    first = add_post(store, "1", "@parcelly my order never arrived", author="amy_reid")
    embed(store, first, 1.0, 0.0)
    asked = add_post(store, "2", "@parcelly where is my order, it's late?", author="bob",
                     minutes=1)
    embed(store, asked, 0.95, 0.1)
    run(store, config, CountingFactory())
    approve(store, "1")
    third = add_post(store, "3", "@parcelly order late, when will it come?", author="cat",
                     minutes=2)
    embed(store, third, 0.9, 0.1)
    run(store, config, CountingFactory())
    title, _ = card(store, "2")
    assert "with saved reply 'late delivery'" in title and "echo-1" in title
    title, _ = card(store, "3")
    assert "with saved reply 'late delivery' and 1 approved example" in title
    store.dispose()


def test_the_card_of_a_saved_reply_says_so(store: Store, config: Config) -> None:
    add_post(store, "1", "@parcelly my order never arrived", author="amy_reid")
    run(store, config, CountingFactory())
    title, text = card(store, "1")
    assert "from saved reply 'late delivery'" in title and "attempt" not in title
    assert text.startswith("Hi Amy, sorry your order is running late!")


def test_save_as_a_saved_reply_from_the_queue_persists_and_is_used(tmp_path: Path) -> None:
    config = config_with(tmp_path, saved=())
    store = open_store(config)
    origin = add_post(store, "1", "@parcelly the strawberries were mouldy", author="ann",
                      topics=("product_quality",))
    embed(store, origin, 1.0, 0.2, 0.0)
    text = "@ann So sorry about the strawberries! DM us and we'll sort it out."
    run(store, config, CountingFactory(EchoGenerator({"@parcelly the strawberries were mouldy":
                                                      [text]})))

    async def main() -> None:
        app = QueueApp(ModerationQueue(store, moderator="ana", clock=FakeClock()))
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause()
            await pilot.press("t")
            await pilot.press(*"mouldy fruit")
            await pilot.press("enter")
            await pilot.pause()
            assert "saved reply 'mouldy fruit'" in str(app.query_one("#message", Static).render())

    asyncio.run(main())
    store.dispose()
    store = open_store(config)  # a restart: the saved reply is in the database
    with store.engine.connect() as conn:
        [saved] = saved_replies(conn, "parcelly")
    assert (saved.name, saved.topic, saved.intent, saved.source) == (
        "mouldy fruit", "product_quality", "complaint", "queue")
    assert saved.text == ("@{handle} So sorry about the strawberries! DM us and we'll sort it "
                          "out. ^PB")

    # posts like the one it was saved from get it as is; another problem on the same
    # topic gets it only as a hint in the prompt
    alike = add_post(store, "2", "@parcelly my bread was mouldy", author="zoe_k",
                     topics=("product_quality",), minutes=30)
    embed(store, alike, 0.9, 0.3, 0.0)
    other = add_post(store, "3", "@parcelly half the eggs were cracked", author="max_b",
                     topics=("product_quality",), minutes=31)
    embed(store, other, 0.2, 0.1, 1.0)
    factory = CountingFactory()
    run(store, config, factory)
    assert draft_of(store, "2").text == (
        "@zoe_k So sorry about the strawberries! DM us and we'll sort it out. ^PB")
    assert draft_of(store, "2").generator_version == "saved-reply"
    assert list(prompts(factory.generator)) == ["@parcelly half the eggs were cracked"]
    assert ('saved reply for posts like this: "@max_b So sorry about the strawberries!'
            in prompts(factory.generator)["@parcelly half the eggs were cracked"])
    store.dispose()


def test_config_keywords_say_which_posts_get_the_saved_reply_as_is(tmp_path: Path) -> None:
    config = config_with(tmp_path, saved=[{**LATE, "keywords": ["late", "still waiting"]}])
    store = open_store(config)
    add_post(store, "1", "@parcelly parcel two days LATE", author="amy_reid")
    add_post(store, "2", "@parcelly still waiting for my shopping", author="bob", minutes=1)
    add_post(store, "3", "@parcelly courier parked across my drive", author="cat", minutes=2)
    versions, prompted = drafted(store, config, "123")
    assert versions == ["saved-reply", "saved-reply", "echo-1"]
    assert "saved reply for posts like this" in prompted[
        "@parcelly courier parked across my drive"]
    store.dispose()


SUNDAYS = {"name": "sundays", "topic": "delivery", "intent": "question",
           "text": "Hi {first_name|there}, we deliver every day, Sundays included."}


def test_a_question_gets_the_brands_answer_as_is_only_where_keywords_name_it(
    tmp_path: Path,
) -> None:
    # A saved reply for questions is the brand's answer to the questions its keywords
    # name; without keywords it could be the answer to any question on the topic, so it
    # only goes in the generator's prompt.
    answers = {**SUNDAYS, "keywords": ["sunday", "sundays"]}
    config = config_with(tmp_path, saved=[answers, {**SUNDAYS, "name": "any delivery question",
                                                    "topic": "billing"}])
    store = open_store(config)
    add_post(store, "1", "@parcelly do you deliver on sundays?", author="amy_reid",
             sentiment="neutral")
    add_post(store, "2", "@parcelly can I change my slot after ordering?", author="bob_lee",
             sentiment="neutral", minutes=1)
    add_post(store, "3", "@parcelly why was I charged for delivery?", author="cat_moss",
             sentiment="neutral", topics=("billing",), minutes=2)
    versions, prompted = drafted(store, config, "123")
    assert versions == ["saved-reply", "echo-1", "echo-1"]
    assert draft_of(store, "1").text == "Hi Amy, we deliver every day, Sundays included. ^PB"
    assert "saved reply for posts like this" in prompted[
        "@parcelly why was I charged for delivery?"]
    store.dispose()


def test_a_turn_in_a_conversation_the_brand_joined_is_generated(tmp_path: Path) -> None:
    # A reply under another customer's post is that author's first word to the brand and
    # gets the saved reply as is; once the brand has spoken in the thread, the answer
    # must follow what was said, so the generator writes it (the saved reply in its prompt).
    config = config_with(tmp_path, saved=[{**LATE, "keywords": ["never showed"]}])
    store = open_store(config)
    add_post(store, "1", "@parcelly courier never showed", author="chloe_doe")
    add_post(store, "2", "@chloe_doe same here, courier never showed @parcelly",
             author="amy_reid", in_reply_to="1", minutes=1)
    add_post(store, "3", "@parcelly where is my shopping", author="bob_lee", minutes=2)
    add_post(store, "4", "@bob_lee so sorry, Bob! DM us the order number ^PB",
             author="parcelly", sentiment=None, in_reply_to="3", minutes=3)
    add_post(store, "5", "@parcelly done, and my courier never showed today either",
             author="bob_lee", in_reply_to="4", minutes=4)
    versions, prompted = drafted(store, config, "125")
    assert versions == ["saved-reply", "saved-reply", "echo-1"]
    assert "saved reply for posts like this" in prompted[
        "@parcelly done, and my courier never showed today either"]
    store.dispose()


@pytest.mark.parametrize("text, mentioned", [
    ("@parcelly late again, third time this week", True),
    ("@parcelly my order has not arrived", True),  # the keyword itself says "not"
    ("I'm not happy: the order is late again", True),  # the "not" is about something else
    ("Never had a late delivery with @parcelly in 5 months", False),
    ("@parcelly no late deliveries since I moved, impressive", False),
    ("the courier was not late at all, thanks @parcelly", False),
])
def test_a_keyword_right_after_a_negation_does_not_count(text: str, mentioned: bool) -> None:
    assert mentions_a_keyword(text, ["late", "not arrived"]) is mentioned


def test_a_name_already_taken_is_refused_and_nothing_is_lost(
    store: Store, config: Config
) -> None:
    add_post(store, "1", "@parcelly my order never arrived, where is it?", author="amy_reid")
    run(store, config, CountingFactory())
    queue = ModerationQueue(store, moderator="ana", clock=FakeClock())
    item = queue.next()
    assert item is not None
    with pytest.raises(QueueError, match="already has a saved reply called 'late delivery'"):
        queue.save_reply(item, "late delivery")
    with pytest.raises(QueueError, match="unknown slot"):
        queue.save_reply(item, "other", "Hi {name}!")
    with store.engine.connect() as conn:
        assert [s.name for s in saved_replies(conn, "parcelly")] == ["late delivery"]


def test_config_saved_replies_follow_config_toml(tmp_path: Path) -> None:
    store = open_store(config_with(tmp_path))
    add_post(store, "1", "@parcelly my order never arrived", author="amy_reid")
    run(store, config_with(tmp_path), CountingFactory())
    changed = {**LATE, "text": "Sorry {first_name|there}! DM us your order number."}
    run(store, config_with(tmp_path, saved=[changed]), CountingFactory())
    with store.engine.connect() as conn:
        assert [s.text for s in saved_replies(conn, "parcelly")] == [changed["text"]]
    run(store, config_with(tmp_path, saved=()), CountingFactory())
    with store.engine.connect() as conn:
        assert saved_replies(conn, "parcelly") == []
    store.dispose()


@pytest.mark.parametrize("saved, message", [
    ({**LATE, "text": "Hi {name}!"}, "watch[0].saved_reply[0].text: unknown slot {name}"),
    ({**LATE, "text": "Hi {handle"}, "watch[0].saved_reply[0].text: an unmatched {"),
    ({**LATE, "topic": "weather"}, "watch[0]: saved_reply[0].topic: no topic named 'weather'"),
    ({**LATE, "intent": "rant"}, "watch[0].saved_reply[0].intent: Input should be"),
    ([LATE, LATE], "watch[0]: saved_reply[1]: two saved replies are called 'late delivery'"),
])
def test_a_bad_saved_reply_in_config_is_named(
    tmp_path: Path, saved: dict[str, Any] | list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_with(tmp_path, saved=saved if isinstance(saved, list) else [saved])


@pytest.mark.parametrize("text, said", [
    ("Hi {first_name|there}, so sorry! We'll refund the whole order.",
     "offers or mentions a refund"),
    ("Hi {first_name|there}, see https://status.example.com for updates.",
     "link(s) not on the allow-list"),
    ("Hi {first_name|there}, we're really sorry your shopping is running late today. Our "
     "couriers are working through a backlog after this morning's storm, and orders go out "
     "in the order they were placed. You can follow your courier live in the app, and if "
     "anything is missing when it arrives, send us a DM with the order number.",
     "twitter allows 280"),
])
def test_a_saved_reply_the_guardrails_always_stop_refuses_start_up(
    tmp_path: Path, text: str, said: str
) -> None:
    # It would never be sent as is: every fitting post would go to the generator, silently.
    config = config_with(tmp_path, saved=[{**LATE, "text": text}])
    where = "saved_reply[0] (late delivery) on twitter: "
    [problem, *_] = unsendable(config.watch[0])
    assert problem.startswith(where) and said in problem
    with pytest.raises(ConfigError, match=re.escape(f"watch[0].{where}")) as refused:
        check_saved_replies(config)
    assert said in str(refused.value)


def test_a_sendable_saved_reply_passes_the_start_up_check(tmp_path: Path) -> None:
    config = config_with(tmp_path)
    assert unsendable(config.watch[0]) == []
    check_saved_replies(config)


@pytest.mark.parametrize("author, greeting", [
    ("amy_reid", "Hi Amy,"), ("jo.bloggs", "Hi Jo,"), ("Bob_Stone42", "Hi Bob,"),
    ("neon_owl", "Hi there,"), ("crispy_fern", "Hi there,"), ("moali59", "Hi there,"),
    ("rusty_otter", "Hi there,"),  # a given name, but here a word
])
def test_a_saved_reply_greets_by_a_given_name_only(author: str, greeting: str) -> None:
    # "Hi Neon" to @neon_owl reads as a brand not looking at who it answers
    assert fill("Hi {first_name|there},", post_values(author, "Parcelly")) == greeting


def test_a_prompt_without_grounding_keeps_the_layout_the_adapter_learned() -> None:
    plain = user_prompt(DraftRequest(text="@acme late again", author="ann"))
    assert plain == "Post by @ann:\n@acme late again\nWrite the reply."


@pytest.mark.parametrize("reply, was, now, expected", [
    ("Hi Amy, so sorry! ^PB", "amy_reid", "bob_stone", "Hi Bob, so sorry! ^PB"),
    ("Hi Amy, so sorry! ^PB", "amy_reid", "moali59", "Hi there, so sorry! ^PB"),
    # a name missing from the list of given names is still taken out of an example
    ("Hi Finn, so sorry! ^PB", "finn_murphy", "neon_owl", "Hi there, so sorry! ^PB"),
    ("@amy_reid we're on it", "amy_reid", "moali59", "@moali59 we're on it"),
    ("@Amy_Reid we're on it", "amy_reid", None, "@Amy_Reid we're on it"),
    ("Sorry, DM us!", None, "bob", "Sorry, DM us!"),
])
def test_an_example_reads_as_if_written_to_the_new_author(
    reply: str, was: str | None, now: str | None, expected: str
) -> None:
    assert readdressed(reply, was, now) == expected


def test_a_regenerated_draft_drops_its_source_and_undo_brings_it_back(
    store: Store, config: Config
) -> None:
    add_post(store, "1", "@parcelly my order never arrived", author="amy_reid")
    run(store, config, CountingFactory())

    def regenerate(item: QueueItem) -> DraftResult:
        text = "Sorry Amy! Could you DM us the order number? ^PB"
        return DraftResult(DraftRequest(item.post_text), text, (), 1, 3, "echo-2", text)

    queue = ModerationQueue(store, moderator="ana", clock=FakeClock(),
                            regenerate_with=regenerate)
    item = queue.next()
    assert item is not None and item.source == "from saved reply 'late delivery'"
    fresh = queue.regenerate(item)
    assert (fresh.source, fresh.generator_version) == ("", "echo-2")
    restored = queue.undo()
    assert restored.text == item.text and restored.source == item.source
    assert restored.generator_version == "saved-reply"
