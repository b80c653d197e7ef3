"""Drafting through an OpenAI-compatible server: a fake one on 127.0.0.1, real HTTP, the real stage.

Same prompt, same guardrails, same queue as the local generator; faults are retried
(429 with Retry-After, 5xx, timeouts) and a server that is down leaves posts waiting.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.prompting import BrandVoice, DraftRequest, chat_messages
from socialbot.config import Config
from socialbot.daemon import run_job
from socialbot.drafting.drafter import GeneratorUnavailable
from socialbot.drafting.loading import load_generator
from socialbot.drafting.openai_server import (
    OpenAIServerGenerator,
    chat_completions_url,
    retry_after_seconds,
)
from socialbot.drafting.policy import brand_voice
from socialbot.errors import ConfigError
from socialbot.stages.draft import DraftStage
from socialbot.store import Store, open_store
from socialbot.store.drafts import DRAFT_DECISIONS, DRAFTS
from socialbot.store.jobs import JOB_RUNS
from socialbot.store.tables import AuditRow
from tests.connectors.conftest import FakeClock as SleepClock
from tests.connectors.conftest import LocalServer, Response
from tests.drafting.fake_openai import MODEL, FakeOpenAI, completion, error
from tests.moderation.support import FakeClock, add_post, reply_config

AUDIT = AuditRow.__table__  # type: ignore[attr-defined]
KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def fake() -> Iterator[tuple[FakeOpenAI, LocalServer]]:
    server = LocalServer()
    api = FakeOpenAI()
    server.app = api
    yield api, server
    server.close()


def server_config(tmp_path: Path, url: str, **drafting: Any) -> Config:
    return reply_config(tmp_path, drafting={
        "backend": "openai", "base_url": url, "model": MODEL, **drafting})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(reply_config(tmp_path))
    yield s
    s.dispose()


def generator(url: str, sleeps: SleepClock, **kw: Any) -> OpenAIServerGenerator:
    """The backend with recorded (not slept) retry waits."""
    return OpenAIServerGenerator(base_url=url, model=MODEL, sleep=sleeps.sleep,
                                 clock=sleeps.time, **kw)


def draft_stage(store: Store, config: Config, gen: Any, clock: FakeClock) -> DraftStage:
    return DraftStage(store, config, generator_factory=lambda: gen, wall_clock=clock)


def drafts(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(DRAFTS).order_by(DRAFTS.c.id)).all())


def audit_actions(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(AUDIT.c.action).order_by(AUDIT.c.id)).scalars())


def decision(store: Store) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(select(DRAFT_DECISIONS)).one()


def test_a_draft_is_made_through_the_server_with_the_local_prompt(
    tmp_path: Path, fake: tuple[FakeOpenAI, LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, server = fake
    monkeypatch.setenv("SOCIALBOT_OPENAI_KEY", KEY)
    config = server_config(tmp_path, server.url, api_key_env="SOCIALBOT_OPENAI_KEY")
    store = open_store(config)
    add_post(store, "1", "@parcelly my order never arrived", author="ann")
    # the real wiring: [drafting] backend = "openai" through load_generator
    stage = DraftStage(store, config, generator_factory=lambda: load_generator(config),
                       wall_clock=FakeClock())
    while stage.run_batch():
        pass
    stage.close()
    [row] = drafts(store)
    assert row.status == "pending"
    assert row.text == "Sorry about that, @ann! We're looking into it. ^PB"  # voice's sign-off
    assert row.generator_version == f"openai:{MODEL}@{server.url.removeprefix('http://')}"
    [request] = api.requests
    assert request.path == "/v1/chat/completions"  # a base_url with no path gets /v1
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = json.loads(request.body)
    watch = config.watch[0]
    expected = chat_messages(
        DraftRequest("@parcelly my order never arrived", "twitter", "ann",
                     sentiment="negative", topics=("delivery",)),
        brand_voice(watch),
    )
    assert body["messages"] == expected  # exactly what the local model is asked
    assert (body["model"], body["max_tokens"], body["seed"]) == (MODEL, 80, 0)
    store.dispose()


def test_a_draft_failing_the_guardrails_is_asked_for_again_with_the_next_seed(
    tmp_path: Path, fake: tuple[FakeOpenAI, LocalServer], store: Store
) -> None:
    api, server = fake
    api.replies["@parcelly my order never arrived"] = [
        "Get a refund at http://refunds.example.com now!",
        "So sorry, Ann! Please DM us and we'll look into it.",
    ]
    config = server_config(tmp_path, server.url)
    add_post(store, "1", "@parcelly my order never arrived", author="ann")
    stage = draft_stage(store, config, generator(server.url, SleepClock()), FakeClock())
    while stage.run_batch():
        pass
    [row] = drafts(store)
    assert row.text == "So sorry, Ann! Please DM us and we'll look into it. ^PB"
    assert (row.attempts, row.flags) == (2, "[]")
    assert [b["seed"] for b in api.bodies()] == [0, 1]


def test_a_429_a_500_and_a_timeout_still_give_the_draft_exactly_once(
    tmp_path: Path, fake: tuple[FakeOpenAI, LocalServer], store: Store
) -> None:
    api, server = fake
    api.faults.extend([
        error(429, "Rate limit reached", **{"Retry-After": "3"}),
        error(500, "CUDA out of memory"),
        Response(200, completion("Late answer nobody waited for."), delay=1.5),
    ])
    config = server_config(tmp_path, server.url)
    add_post(store, "1", "@parcelly my order never arrived", author="ann")
    sleeps = SleepClock()
    stage = draft_stage(store, config, generator(server.url, sleeps, timeout=0.5), FakeClock())
    assert stage.run_batch() == 1  # the policy's decision
    assert stage.run_batch() == 1  # the draft, through the three faults
    assert stage.run_batch() == 0
    assert len(api.requests) == 4
    [row] = drafts(store)
    assert row.text == "Sorry about that, @ann! We're looking into it. ^PB"
    assert audit_actions(store) == ["draft.created"]
    assert len(sleeps.sleeps) == 3 and sleeps.sleeps[0] >= 3.0  # waited as the 429 asked


def test_with_the_server_down_the_post_waits_for_a_draft(
    tmp_path: Path, store: Store
) -> None:
    gone = LocalServer()
    gone.close()  # nothing listens on its port any more
    config = server_config(tmp_path, gone.url)
    add_post(store, "1", "@parcelly my order never arrived", author="ann")
    stage = draft_stage(store, config, generator(gone.url, SleepClock()), FakeClock())
    assert stage.run_batch() == 1  # decided: draft
    assert run_job(stage, store, threading.Event()) == 0  # the job fails, the daemon goes on
    assert drafts(store) == []
    row = decision(store)
    assert (row.decision, row.claimed_until) == ("draft", None)  # not skipped, not held
    with store.engine.connect() as conn:
        assert stage.progress(conn)["awaiting draft"] == 1
        assert stage.progress(conn)["skipped"] == 0
        last_error = conn.execute(select(JOB_RUNS.c.last_error)).scalar_one()
    assert "GeneratorUnavailable" in last_error and "cannot reach the server" in last_error


def test_a_post_left_waiting_is_drafted_once_the_server_is_back(
    tmp_path: Path, fake: tuple[FakeOpenAI, LocalServer], store: Store
) -> None:
    api, server = fake
    api.down = True
    config = server_config(tmp_path, server.url)
    add_post(store, "1", "@parcelly my order never arrived", author="ann")
    stage = draft_stage(store, config, generator(server.url, SleepClock()), FakeClock())
    stage.run_batch()
    with pytest.raises(GeneratorUnavailable, match="503"):
        stage.run_batch()
    assert drafts(store) == [] and len(api.requests) == 4  # every try of the policy used
    api.down = False
    assert stage.run_batch() == 1  # no claim left to expire: the next batch drafts it
    assert len(drafts(store)) == 1 and audit_actions(store) == ["draft.created"]


def test_a_long_retry_after_pauses_drafting_until_then(
    tmp_path: Path, fake: tuple[FakeOpenAI, LocalServer], store: Store
) -> None:
    api, server = fake
    api.faults.append(error(429, "quota", **{"Retry-After": "120"}))
    config = server_config(tmp_path, server.url)
    add_post(store, "1", "@parcelly my order never arrived", author="ann")
    clock = FakeClock()
    sleeps = SleepClock()
    stage = draft_stage(store, config, generator(server.url, sleeps), clock)
    stage.run_batch()
    with pytest.raises(GeneratorUnavailable, match="asks for 120s"):
        stage.run_batch()
    assert sleeps.sleeps == []  # not waited out in place
    clock.advance(seconds=60)
    assert stage.run_batch() == 0 and len(api.requests) == 1  # the server is left alone
    clock.advance(seconds=61)
    assert stage.run_batch() == 1 and len(drafts(store)) == 1


@pytest.mark.parametrize(("answer", "expected"), [
    (error(401, f"Incorrect API key provided: {KEY}"), "refused the API key (401): check the "
     "variable SOCIALBOT_OPENAI_KEY"),
    (error(404, "The model `tiny-chat` does not exist."), "check [drafting] model"),
    (error(400, "max_tokens is too large"), "refused the request (400): max_tokens is too large"),
])
def test_a_refusal_is_not_retried_and_names_what_to_fix(
    fake: tuple[FakeOpenAI, LocalServer], answer: Response, expected: str
) -> None:
    api, server = fake
    api.faults.append(answer)
    gen = generator(server.url, SleepClock(), api_key=KEY, api_key_env="SOCIALBOT_OPENAI_KEY")
    with pytest.raises(GeneratorUnavailable) as caught:
        gen.generate([DraftRequest("where is my parcel?")], voice=BrandVoice(name="Parcelly"))
    assert expected in str(caught.value)
    assert KEY not in str(caught.value)
    assert len(api.requests) == 1
    gen.close()


def test_a_round_fails_at_its_first_refusal_and_sends_nothing_more(
    fake: tuple[FakeOpenAI, LocalServer]
) -> None:
    api, server = fake
    api.down = True  # every request that is not refused answers 503, worth retrying
    api.faults.append(error(401, "Invalid API key"))
    posts = [DraftRequest(f"where is parcel {i}?") for i in range(6)]
    gen = OpenAIServerGenerator(base_url=server.url, model=MODEL, concurrency=2)
    started = time.monotonic()
    with pytest.raises(GeneratorUnavailable, match="401"):
        gen.generate(posts, voice=BrandVoice(name="Parcelly"))
    gen.close()  # waits for the request that was retrying alongside
    assert time.monotonic() - started < 2.0  # its backoff (0.5 s, then 1 s) was cut short
    # the refusal can come back before the second worker sends: one or two went out,
    # and the four posts still queued never did
    assert 1 <= len(api.requests) <= 2


def test_a_missing_key_variable_keeps_posts_waiting_and_says_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOCIALBOT_OPENAI_KEY", raising=False)
    config = server_config(tmp_path, "http://127.0.0.1:9", api_key_env="SOCIALBOT_OPENAI_KEY")
    with pytest.raises(GeneratorUnavailable, match="SOCIALBOT_OPENAI_KEY, which is not set"):
        load_generator(config)


@pytest.mark.parametrize(("drafting", "expected"), [
    ({"backend": "openai", "model": MODEL}, 'drafting: backend = "openai" needs base_url'),
    ({"backend": "openai", "base_url": "http://127.0.0.1:8000/v1"}, "needs model"),
    ({"backend": "openai", "base_url": "127.0.0.1:8000", "model": MODEL},
     "base_url: expected an http:// or https:// URL"),
    ({"backend": "openai", "base_url": "http://h/v1", "model": MODEL,
      "api_key_env": "sk-live-abc123456"}, "must name an environment variable"),
    ({"backend": "vllm"}, "drafting.backend: Input should be 'local' or 'openai'"),
])
def test_bad_server_settings_stop_at_load_naming_the_key(
    tmp_path: Path, drafting: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        reply_config(tmp_path, drafting=drafting)
    assert expected in str(caught.value)
    assert "sk-live-abc123456" not in str(caught.value)  # a key pasted by mistake is not echoed


@pytest.mark.parametrize(("base_url", "url"), [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/chat/completions"),
    ("http://localhost:11434/v1/", "http://localhost:11434/v1/chat/completions"),
    ("https://api.example.com/openai/v1", "https://api.example.com/openai/v1/chat/completions"),
])
def test_the_chat_endpoint_follows_the_openai_convention(base_url: str, url: str) -> None:
    assert chat_completions_url(base_url) == url


def test_retry_after_as_seconds_or_an_http_date() -> None:
    now = 1_795_000_000.0  # 2026-11-18 11:06:40 UTC
    assert retry_after_seconds("7", now=now) == 7.0
    assert retry_after_seconds("Wed, 18 Nov 2026 11:07:40 GMT", now=now) == 60.0
    assert retry_after_seconds(None, now=now) is None
    assert retry_after_seconds("soon", now=now) is None
