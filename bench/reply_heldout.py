"""Held-out check of a reply adapter: ROUGE-L, guardrail pass rate and which flags fire.

Rebuilds the held-out split `socialbot train replies` used (same data, seed and size),
drafts greedily with the given adapter (or none) at a chosen token budget, and prints the
figures with a count per guardrail flag code. With `--from-metrics` it re-checks the
drafts stored in the adapter's metrics.json instead of generating (seconds, not minutes).

    .venv/bin/python bench/reply_heldout.py [--adapter models/reply-smollm2 | --no-adapter]
        [--max-new-tokens 120] [--from-metrics]
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from models.reply_data import ReplyPair, load_pairs, split_pairs
from models.rouge import mean_rouge_l
from socialbot.drafting.guardrails import check, sanitise, sign


def flags_for(draft: str, pair: ReplyPair) -> list[str]:
    """The flags the drafter would see: after the same repairs (sanitise, then sign)."""
    voice = pair.voice()
    text = sign(sanitise(draft, platform="twitter"), voice)
    flags = check(text, post_text=pair.post, platform="twitter", voice=voice)
    return [f.code for f in flags]


def report(name: str, pairs: list[ReplyPair], drafts: list[str]) -> None:
    codes: collections.Counter[str] = collections.Counter()
    passed = 0
    for pair, draft in zip(pairs, drafts, strict=True):
        found = flags_for(draft, pair)
        passed += not found
        codes.update(found)
    print(
        f"{name}: ROUGE-L {mean_rouge_l(drafts, [p.reply for p in pairs]):.4f}, "
        f"guardrail pass {passed}/{len(pairs)} ({passed / len(pairs):.1%}), "
        f"mean length {sum(map(len, drafts)) / len(drafts):.0f} chars, flags {dict(codes)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["../shared/data/replies"])
    parser.add_argument("--adapter", type=Path, default=Path("models/reply-smollm2"))
    parser.add_argument("--no-adapter", action="store_true", help="score the bare base model")
    parser.add_argument("--held-out", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-new-tokens", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--from-metrics", action="store_true", help="re-check stored drafts")
    opts = parser.parse_args()

    _, held_out = split_pairs(load_pairs(opts.data), held_out=opts.held_out, seed=opts.seed)
    if opts.from_metrics:
        metrics = json.loads((opts.adapter / "metrics.json").read_text())
        by_post = {p.post: p for p in held_out}
        for side in ("before", "after"):
            examples = metrics[side]["examples"]
            report(side, [by_post[e["post"]] for e in examples], [e["draft"] for e in examples])
        return

    from models.generator import ReplyGenerator

    adapter = None if opts.no_adapter else opts.adapter
    generator = ReplyGenerator.load(adapter=adapter, threads=opts.threads)
    drafts = generator.generate(
        [p.request() for p in held_out],
        voice=[p.voice() for p in held_out],
        temperature=0,
        max_new_tokens=opts.max_new_tokens,
    )
    report(f"{generator.version} @ {opts.max_new_tokens} tokens", held_out, drafts)


if __name__ == "__main__":
    main()
