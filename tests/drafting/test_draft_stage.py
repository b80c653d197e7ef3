"""The draft stage: decisions for every classified post, pending drafts for the chosen ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from socialbot.config import Config
from socialbot.replay import replay_file
from socialbot.stages.draft import DraftStage
from socialbot.store import Store, open_store
from socialbot.store.drafts import DRAFT_DECISIONS, DRAFTS
from socialbot.store.ingest import POSTS
from tests.moderation.support import EchoGenerator, FakeClock, add_post, classify, reply_config
from tests.monitoring import demo_truth

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return reply_config(tmp_path)


@pytest.fixture
def store(config: Config):  # type: ignore[no-untyped-def]
    s = open_store(config)
    yield s
    s.dispose()


def stage(store: Store, config: Config, generator: object, clock: FakeClock | None = None,
          ) -> DraftStage:
    return DraftStage(store, config, generator_factory=lambda: generator,  # type: ignore[arg-type,return-value]
                      wall_clock=clock or FakeClock())


def drain(s: DraftStage) -> int:
    total = 0
    while (n := s.run_batch()):
        total += n
    return total


def reasons(store: Store) -> dict[str, str]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(POSTS.c.post_id, DRAFT_DECISIONS.c.reason)
            .join(DRAFT_DECISIONS, DRAFT_DECISIONS.c.post_pk == POSTS.c.id)
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def drafts(store: Store) -> list:  # type: ignore[type-arg]
    with store.engine.connect() as conn:
        return list(conn.execute(
            select(DRAFTS, POSTS.c.post_id).join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
            .order_by(DRAFTS.c.id)
        ).all())


def test_complaints_and_questions_get_pending_drafts_others_a_reason(
    store: Store, config: Config
) -> None:
    add_post(store, "1", "@parcelly my order never arrived", author="ann")
    add_post(store, "2", "@parcelly can I change my slot?", author="bob", sentiment="neutral")
    add_post(store, "3", "@parcelly courier was lovely", author="cat", sentiment="positive")
    add_post(store, "4", "@parcelly lol", author="dan", sentiment="neutral", topics=())
    add_post(store, "5", "@ann sorry to hear, we're on it", author="parcelly", in_reply_to="9")
    add_post(store, "6", "unclassified @parcelly late", author="eve", sentiment=None)
    generator = EchoGenerator()
    drain(stage(store, config, generator))
    assert reasons(store) == {"1": "negative", "2": "question", "3": "no_need", "4": "no_need",
                              "5": "own_post"}
    stored = drafts(store)
    assert [d.post_id for d in stored] == ["1", "2"]
    assert all(d.status == "pending" and d.generator_version == "echo-1" for d in stored)
    assert all(json.loads(d.flags) == [] for d in stored)
    assert stored[0].text == "Sorry about that, @ann! We're looking into it (draft v0). ^PB"


def test_running_again_changes_nothing_and_loads_no_model(store: Store, config: Config) -> None:
    add_post(store, "1", "@parcelly my order never arrived")
    drain(stage(store, config, EchoGenerator()))
    calls: list[int] = []

    def factory():  # type: ignore[no-untyped-def]
        calls.append(1)
        return EchoGenerator()

    again = DraftStage(store, config, generator_factory=factory, wall_clock=FakeClock())
    assert drain(again) == 0
    assert calls == [] and len(drafts(store)) == 1


def test_a_draft_failing_guardrails_is_stored_with_its_flags(store: Store, config: Config) -> None:
    text = "@parcelly my order never arrived"
    add_post(store, "1", text)
    generator = EchoGenerator({text: ["Sorry! See https://evil.example.io/x for a refund."]})
    drain(stage(store, config, generator))
    [draft] = drafts(store)
    assert draft.status == "pending" and draft.attempts == config.drafting.max_attempts
    assert {f["code"] for f in json.loads(draft.flags)} == {"link", "promise"}


def test_thread_context_and_classifier_output_reach_the_generator(
    store: Store, config: Config
) -> None:
    add_post(store, "10", "@parcelly where is order 5?", author="ann", sentiment="neutral")
    add_post(store, "11", "@ann Hi! It's on its way.", author="parcelly", in_reply_to="10",
             sentiment="neutral", minutes=1)
    add_post(store, "12", "@parcelly it is not, still nothing", author="ann", in_reply_to="11",
             minutes=2, topics=("delivery", "customer_service"))
    generator = EchoGenerator()
    drain(stage(store, config, generator))
    [request] = [r for reqs, _ in generator.calls for r in reqs]
    assert request.text == "@parcelly it is not, still nothing"
    assert request.thread == ("@parcelly where is order 5?", "@ann Hi! It's on its way.")
    assert request.sentiment == "negative"
    assert request.topics == ("delivery", "customer_service")
    # 10 was answered by the brand, 11 is the brand's own, 12 replies to the brand
    assert reasons(store) == {"10": "already_replied", "11": "own_post", "12": "negative"}


def test_per_author_cooldown(store: Store, config: Config) -> None:
    add_post(store, "1", "@parcelly late again", author="ann")
    add_post(store, "2", "@parcelly still late", author="ann", minutes=20)
    add_post(store, "3", "@parcelly STILL late", author="ann", minutes=90)
    drain(stage(store, config, EchoGenerator()))
    assert reasons(store) == {"1": "negative", "2": "cooldown", "3": "negative"}


def test_a_crash_while_generating_is_drafted_again_once_the_claim_expires(
    store: Store, config: Config
) -> None:
    add_post(store, "1", "@parcelly my order never arrived")

    class Crashing(EchoGenerator):
        def generate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("killed mid-generation")

    clock = FakeClock()
    dying = stage(store, config, Crashing(), clock)
    assert dying.run_batch() == 1  # the policy's decision comes first, in its own batch
    with pytest.raises(RuntimeError):
        dying.run_batch()
    assert drafts(store) == []
    restarted = stage(store, config, EchoGenerator(), clock)
    assert drain(restarted) == 0  # still claimed by the dead worker
    clock.advance(minutes=11)
    assert drain(restarted) == 1
    assert len(drafts(store)) == 1


def test_posts_of_a_watch_without_replies_are_left_alone(tmp_path: Path) -> None:
    config = reply_config(tmp_path, reply={"enabled": False})
    from socialbot.stages import StageContext
    from socialbot.stages.draft import build_draft_stages

    s = open_store(config)
    try:
        assert build_draft_stages(StageContext(config=config, store=s)) == []
    finally:
        s.dispose()


@pytest.mark.parametrize("on_topic_questions", [True, False])
def test_on_the_demo_stream_only_complaints_and_questions_get_drafts(
    tmp_path: Path, on_topic_questions: bool
) -> None:
    """With the true sentiment and topic of every demo post (the classifier is tested on
    its own), the policy drafts for complaints and questions and never for praise, spam
    or the brand. Questions on no topic are answered by default: then a few chit-chat
    questions ("boxwise or parcelly?") get drafts too, for a moderator to reject."""
    config = reply_config(
        tmp_path,
        reply={"question_needs_topic": on_topic_questions},
        drafting={"max_pending": 10_000},  # every chosen post, not a queue's worth
    )
    store = open_store(config)
    replay_file(config, store, "builtin:demo_stream", downstream=False)
    truth = demo_truth.kinds()
    sentiment = {"praise": "positive", "question": "neutral", "complaint": "negative",
                 "noise": "neutral", "spam": "negative", "brand": "neutral"}
    with store.transaction() as conn:
        posts = conn.execute(select(POSTS.c.id, POSTS.c.platform, POSTS.c.post_id)).all()
        for pk, platform, post_id in posts:
            kind, topic = truth[(platform, post_id)]
            classify(conn, pk, sentiment[kind], [topic] if topic else [], "parcelly")
    drain(stage(store, config, EchoGenerator()))
    stored = drafts(store)
    drafted = [truth[(d.platform, d.post_id)][0] for d in stored]
    if on_topic_questions:
        assert set(drafted) == {"complaint", "question"}
    else:
        assert set(drafted) == {"complaint", "question", "noise"}
        chit_chat = [d for d, kind in zip(stored, drafted, strict=True) if kind == "noise"]
        assert len(chit_chat) < 0.05 * len(drafted)
        with store.engine.connect() as conn:
            texts = [conn.execute(select(POSTS.c.text).where(POSTS.c.id == d.post_pk))
                     .scalar_one() for d in chit_chat]
        assert all("?" in t for t in texts)
    assert len(drafted) > 300
    with store.engine.connect() as conn:
        skipped = dict(conn.execute(
            select(DRAFT_DECISIONS.c.reason, func.count()).group_by(DRAFT_DECISIONS.c.reason)
        ).all())
    # every kind of "never" in the stream was met and recorded
    for reason in ("own_post", "retweet", "spam", "abuse", "already_replied", "not_addressed",
                   "no_need", "cooldown"):
        assert skipped.get(reason, 0) > 0, reason
    store.dispose()


def test_two_draft_workers_share_the_work_on_each_database(
    any_store: Store, tmp_path: Path
) -> None:
    import threading

    from socialbot.store.engine import create_store_engine

    config = reply_config(tmp_path, drafting={"batch_size": 2})
    for i in range(12):
        add_post(any_store, str(i), f"@parcelly order {i} is late", author=f"u{i}", minutes=i)
    other = Store(create_store_engine(any_store.engine.url.render_as_string(hide_password=False)))
    generators = [EchoGenerator(), EchoGenerator()]
    workers = [stage(any_store, config, generators[0]), stage(other, config, generators[1])]
    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    other.dispose()
    drafted = [r.text for g in generators for reqs, _ in g.calls for r in reqs]
    assert sorted(drafted) == sorted(f"@parcelly order {i} is late" for i in range(12))
    assert len(drafts(any_store)) == 12


def test_a_stop_between_generation_rounds_hands_the_posts_back(
    store: Store, config: Config
) -> None:
    import threading

    text = "@parcelly my order never arrived"
    add_post(store, "1", text)
    stop = threading.Event()

    class StopsTheDaemon(EchoGenerator):
        def generate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            stop.set()  # SIGTERM arrives while this round runs
            return super().generate(*args, **kwargs)

    generator = StopsTheDaemon({text: ["See https://evil.example.io", "Sorry! DM us."]})
    worker = DraftStage(store, config, generator_factory=lambda: generator,
                        wall_clock=FakeClock(), stop=stop)
    assert worker.run_batch() == 1  # decided
    assert worker.run_batch() == 0  # one round ran, the retry round did not start
    assert len(generator.calls) == 1 and drafts(store) == []
    stop.clear()
    assert drain(stage(store, config, EchoGenerator({text: ["Sorry! DM us."]}))) == 1  # no wait


def test_drafting_pauses_while_the_queue_is_full_and_resumes_as_moderators_decide(
    tmp_path: Path,
) -> None:
    from sqlalchemy import update

    config = reply_config(tmp_path, drafting={"batch_size": 2, "max_pending": 3})
    store = open_store(config)
    try:
        for i in range(7):
            add_post(store, str(i), f"@parcelly order {i} never arrived", author=f"user{i}")
        s = stage(store, config, EchoGenerator())
        drain(s)
        assert len(drafts(store)) == 3  # the cap, not the 7 posts that deserve a draft
        with store.engine.connect() as conn:
            progress = s.progress(conn)
        assert progress["awaiting draft"] == 4 and progress["pending"] == 3

        first = drafts(store)[0]
        with store.transaction() as conn:  # a moderator rejects one draft
            conn.execute(update(DRAFTS).where(DRAFTS.c.id == first.id).values(status="rejected"))
        drain(s)
        assert len(drafts(store)) == 4
    finally:
        store.dispose()
