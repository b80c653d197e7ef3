"""How many of the demo's drafts a saved reply writes, with no model involved.

Replays the bundled demo stream into a scratch database (no generation), lets the reply
policy choose posts, then grounds every chosen post as the draft stage would: the posts
a saved reply fits as is (its topic alone, a keyword present, asking nothing unless the
reply answers that question, not in a conversation the brand joined, passing the
guardrails) get it as their draft; the rest go to the generator.
Prints the count per saved reply, per true kind of post (scripts/make_demo_stream.py
knows it), and a sample of the drafts, so one can read whether a brand would send them.

    .venv/bin/python bench/saved_reply_demo.py [--config config.toml] [--show 20]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from socialbot.config import parse_config
from socialbot.drafting.drafter import DraftGenerator
from socialbot.drafting.policy import brand_voice
from socialbot.grounding.grounder import Grounder
from socialbot.grounding.saved import seed
from socialbot.replay import replay_file
from socialbot.stages.draft import DraftStage
from socialbot.store import open_store
from socialbot.store.drafts import DRAFT_DECISIONS
from socialbot.store.ingest import POSTS
from socialbot.store.types import utcnow

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: the demo generator lives in scripts/

from scripts.make_demo_stream import Builder  # noqa: E402


def _no_generator() -> DraftGenerator:
    raise RuntimeError("this bench generates nothing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", default=str(REPO / "config.toml"))
    parser.add_argument("--show", type=int, default=20, help="saved-reply drafts to print")
    opts = parser.parse_args()
    kinds = {(it.platform, it.id): it.kind for it in Builder().build()}
    config_path = Path(opts.config)
    with tempfile.TemporaryDirectory() as folder:
        data = tomllib.loads(config_path.read_text())
        data["database"] = {"url": f"sqlite:///{Path(folder) / 'demo.db'}"}
        config = parse_config(data, path=config_path)
        store = open_store(config)
        replay_file(config, store, "builtin:demo_stream", exclude=("draft", "post", "deliver"))
        stage = DraftStage(store, config, generator_factory=_no_generator)
        while stage.decide_batch():
            pass
        watches = {w.name: w for w in config.watch}
        with store.transaction() as conn:
            seed(conn, list(watches.values()), now=utcnow())
        with store.engine.connect() as conn:
            chosen = conn.execute(
                select(DRAFT_DECISIONS.c.post_pk, DRAFT_DECISIONS.c.watch, POSTS.c.platform,
                       POSTS.c.post_id)
                .join(POSTS, POSTS.c.id == DRAFT_DECISIONS.c.post_pk)
                .where(DRAFT_DECISIONS.c.decision == "draft")
            ).all()
            by_watch: dict[str, list[int]] = {}
            for row in chosen:
                by_watch.setdefault(row.watch, []).append(row.post_pk)
            requests = {row.post_pk: stage._request(conn, row.post_pk, row.watch)
                        for row in chosen}
            voices = {name: brand_voice(watches[name]) for name in by_watch}
            grounded = Grounder(k=config.drafting.examples).ground_batch(
                conn, by_watch, requests, voices)
        stage.close()
        store.dispose()
    kind_of = {row.post_pk: kinds[(row.platform, row.post_id)] for row in chosen}
    proposed = grounded.proposed
    per_reply = Counter(grounded.grounding[pk].saved_reply.name  # type: ignore[union-attr]
                        for pk in proposed)
    print(f"config: {config_path}")
    print(f"{len(chosen)} posts chosen for a draft; {len(proposed)} get a saved reply as is "
          f"({len(proposed) / max(len(chosen), 1):.0%}), {len(chosen) - len(proposed)} "
          "go to the generator")
    for name, count in per_reply.most_common():
        print(f"  {count:>4}  {name}")
    print("by true kind of post: " + ", ".join(
        f"{kind} {count}" for kind, count in Counter(kind_of[pk] for pk in proposed).most_common()))
    sample = random.Random(0).sample(sorted(proposed), min(opts.show, len(proposed)))
    for pk in sample:
        post = " ".join(requests[pk].text.split())
        print(f"\n[{kind_of[pk]}] {post}\n  -> {proposed[pk].text}")


if __name__ == "__main__":
    main()
