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
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from socialbot.store.drafts import DRAFT_DECISIONS
from socialbot.store.ingest import POSTS

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: bench/ and scripts/ import from the repo

from bench.demo_policy import decided_demo, demo_kinds, read_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", default=str(REPO / "config.toml"))
    parser.add_argument("--show", type=int, default=20, help="saved-reply drafts to print")
    opts = parser.parse_args()
    kinds = demo_kinds()
    config_path = Path(opts.config)
    with decided_demo(read_config(config_path), config_path) as (store, stage):
        stage.seed_saved_replies()
        with store.engine.connect() as conn:
            chosen = conn.execute(
                select(DRAFT_DECISIONS.c.post_pk, DRAFT_DECISIONS.c.watch, POSTS.c.platform,
                       POSTS.c.post_id)
                .join(POSTS, POSTS.c.id == DRAFT_DECISIONS.c.post_pk)
                .where(DRAFT_DECISIONS.c.decision == "draft")
            ).all()
            # as the draft stage grounds a batch it claimed, with every chosen post at once
            grounded = stage.ground(conn, [(row.post_pk, row.watch) for row in chosen])
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
        post = " ".join(grounded.requests[pk].text.split())
        print(f"\n[{kind_of[pk]}] {post}\n  -> {proposed[pk].text}")


if __name__ == "__main__":
    main()
