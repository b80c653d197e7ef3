"""Which demo posts the reply policy picks, against the demo stream's own ground truth.

Replays the bundled demo stream into a scratch database with a classifier (the shipped
one by default), lets the draft stage's policy decide every post (no generation), and
counts decisions per true kind of post (complaint, question, praise, noise, ...), which
the stream's generator (scripts/make_demo_stream.py) knows. The goal of issue 6: drafts
for complaints and questions, none for praise or noise.

    .venv/bin/python bench/reply_policy_demo.py [--classifier models/sentiment-minilm]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from socialbot.drafting.policy import RULED_OUT
from socialbot.store.drafts import DRAFT_DECISIONS
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import PREDICTIONS

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: bench/ and scripts/ import from the repo

from bench.demo_policy import decided_demo, demo_kinds, read_config  # noqa: E402

WANTED = ("complaint", "question")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--classifier", default=str(REPO / "models" / "sentiment-minilm"))
    parser.add_argument("--show", type=int, default=10, help="wrongly chosen posts to print")
    opts = parser.parse_args()
    kinds = demo_kinds()
    data = read_config(REPO / "config.toml")
    data["classifier"] = data.get("classifier", {}) | {"model": opts.classifier}
    with decided_demo(data, REPO / "config.toml") as (store, _stage), store.reading() as conn:
        rows = conn.execute(
            select(
                POSTS.c.platform, POSTS.c.post_id, POSTS.c.text,
                DRAFT_DECISIONS.c.decision, DRAFT_DECISIONS.c.reason,
                PREDICTIONS.c.sentiment,
            )
            .join(DRAFT_DECISIONS, DRAFT_DECISIONS.c.post_pk == POSTS.c.id)
            .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
        ).all()
    table: Counter[tuple[str, str]] = Counter()
    wrong = []
    for platform, post_id, text, decision, reason, sentiment in rows:
        kind = kinds[(platform, post_id)]
        table[(kind, decision)] += 1
        if decision == "draft" and kind not in WANTED:
            wrong.append((kind, reason, sentiment, " ".join(text.split())[:90]))
    print(f"classifier: {opts.classifier}")
    print(f"{'true kind':<12}{'drafted':>9}{'skipped':>9}")
    for kind in sorted({k for k, _ in table}):
        print(f"{kind:<12}{table[(kind, 'draft')]:>9}{table[(kind, 'skip')]:>9}")
    chosen = sum(v for (k, d), v in table.items() if d == "draft")
    right = sum(v for (k, d), v in table.items() if d == "draft" and k in WANTED)
    # Recall counts only the posts the policy may answer at all: a complaint that does
    # not address the brand, a retweet or one already answered is skipped by rule.
    answerable = sum(1 for platform, post_id, _, _, reason, _ in rows
                     if kinds[(platform, post_id)] in WANTED and reason not in RULED_OUT)
    print(f"\n{chosen} posts chosen for a draft, {right} of them complaints or questions "
          f"({right / max(chosen, 1):.0%}); {chosen - right} praise/noise")
    print(f"precision {right / max(chosen, 1):.2f}, recall {right / max(answerable, 1):.2f} "
          f"(of {answerable} complaints and questions the policy may answer)")
    for kind, reason, sentiment, text in wrong[: opts.show]:
        print(f"  {kind:<7} picked as {reason:<8} (classifier: {sentiment:<8}) {text}")


if __name__ == "__main__":
    main()
