"""The draft stage with real generator code: a tiny random Llama, and (slow) SmolLM2.

Each stored draft either passes the guardrails and the content checks (refusal,
unstated policy) or carries exactly the flags they raise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from socialbot.config import Config
from socialbot.drafting.check_rates import content_codes
from socialbot.drafting.guardrails import DUPLICATE, check
from socialbot.drafting.policy import brand_voice
from socialbot.stages import StageContext
from socialbot.stages.draft import build_draft_stages
from socialbot.store import Store, open_store
from socialbot.store.drafts import DRAFTS
from socialbot.store.ingest import POSTS
from tests.moderation.support import add_post, reply_config

torch = pytest.importorskip("torch")


def _posts(store: Store) -> None:
    add_post(store, "1", "@parcelly my parcel never arrived and nobody answers", author="ann")
    add_post(store, "2", "@parcelly how do I change my delivery slot?", author="bob",
             sentiment="neutral")
    add_post(store, "3", "@parcelly thanks, lovely courier", author="cat", sentiment="positive")


def _run(config: Config) -> list:  # type: ignore[type-arg]
    store = open_store(config)
    try:
        _posts(store)
        [stage] = build_draft_stages(StageContext(config=config, store=store))
        while stage.run_batch():
            pass
        with store.engine.connect() as conn:
            return list(conn.execute(
                select(DRAFTS, POSTS.c.text.label("post_text"))
                .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk).order_by(DRAFTS.c.id)
            ).all())
    finally:
        store.dispose()


def _assert_flags_are_the_guardrails(config: Config, drafts: list) -> None:  # type: ignore[type-arg]
    voice = brand_voice(config.watch[0])
    known = [s.text for s in config.watch[0].saved_reply]
    for d in drafts:
        stored = {f["code"] for f in json.loads(d.flags)} - {DUPLICATE}
        found = {f.code for f in check(d.text, post_text=d.post_text, platform=d.platform,
                                       voice=voice)}
        found |= content_codes(d.text, post=d.post_text, voice=voice, known=known)
        assert stored == found


def test_tiny_llama_from_config_drafts_the_chosen_posts(tmp_path: Path) -> None:
    from tests.models.tiny_causal_lm import save_tiny_llama

    model = save_tiny_llama(tmp_path / "tiny-llama")
    config = reply_config(tmp_path, drafting={"model": str(model), "adapter": "none",
                                              "max_new_tokens": 16, "threads": 1})
    drafts = _run(config)
    assert [d.post_text[:20] for d in drafts] == ["@parcelly my parcel ", "@parcelly how do I c"]
    assert {d.generator_version for d in drafts} == {"tiny-llama"}
    assert all(d.status == "pending" and 1 <= d.attempts <= 3 for d in drafts)
    _assert_flags_are_the_guardrails(config, drafts)


@pytest.mark.slow
@pytest.mark.parametrize(("model", "version"), [
    (None, "gemma-3-270m"),  # the default
    ("smollm2-135m", "smollm2"),
])
def test_a_packaged_generator_drafts_a_reply(
    tmp_path: Path, model: str | None, version: str
) -> None:
    from models.generator import GeneratorError, packaged_gemma, packaged_gguf

    try:
        packaged_gguf() if model else packaged_gemma()
    except GeneratorError as exc:
        pytest.skip(str(exc))
    drafting: dict[str, object] = {"max_attempts": 1, "max_new_tokens": 32, "batch_size": 2}
    config = reply_config(tmp_path, drafting=drafting | ({"model": model} if model else {}))
    drafts = _run(config)
    assert len(drafts) == 2
    assert all(d.generator_version.startswith(version) and d.text for d in drafts)
    _assert_flags_are_the_guardrails(config, drafts)
