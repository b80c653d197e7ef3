"""The bundled demo stream replayed into a scratch database and decided by the reply
policy, with no generator: what the policy benches read (bench/reply_policy_demo.py,
bench/saved_reply_demo.py), and the true kind of every demo post to judge it by."""

from __future__ import annotations

import sys
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from socialbot.config import parse_config
from socialbot.drafting.drafter import DraftGenerator
from socialbot.replay import replay_file
from socialbot.stages.draft import DraftStage
from socialbot.store import Store, open_store

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: the demo generator lives in scripts/

from scripts.make_demo_stream import Builder  # noqa: E402


def demo_kinds() -> dict[tuple[str, str], str]:
    """(platform, post id) -> the post's true kind (complaint, question, praise, noise, ...),
    as the stream's generator (scripts/make_demo_stream.py) wrote it."""
    return {(it.platform, it.id): it.kind for it in Builder().build()}


def _no_generator() -> DraftGenerator:
    raise RuntimeError("the policy benches draft nothing")


@contextmanager
def decided_demo(data: dict[str, Any], config_path: Path) -> Iterator[tuple[Store, DraftStage]]:
    """The demo stream stored, classified and decided under the config `data` (as read from
    `config_path`), in a scratch SQLite database gone on exit; the draft stage that decided
    it, whose generator is never loaded."""
    with tempfile.TemporaryDirectory() as folder:
        config = parse_config(
            data | {"database": {"url": f"sqlite:///{Path(folder) / 'demo.db'}"}},
            path=config_path)
        store = open_store(config)
        stage = DraftStage(store, config, generator_factory=_no_generator)
        try:
            replay_file(config, store, "builtin:demo_stream",
                        exclude=("draft", "post", "deliver"))
            while stage.decide_batch():
                pass
            yield store, stage
        finally:
            stage.close()
            store.dispose()


def read_config(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text())
