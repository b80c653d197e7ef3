"""Reply generator start-up: first load (GGUF -> cached safetensors) vs later loads.

Uses a fresh temporary cache directory, so the first load always converts.

    .venv/bin/python bench/generator_load.py
"""

from __future__ import annotations

import tempfile
import time

import torch

from models.generator import ReplyGenerator


def main() -> None:
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        ReplyGenerator.load(cache_dir=cache, adapter=None)
        first = time.perf_counter() - started
        started = time.perf_counter()
        ReplyGenerator.load(cache_dir=cache, adapter=None)
        cached = time.perf_counter() - started
        started = time.perf_counter()
        generator = ReplyGenerator.load(cache_dir=cache)
        merged = time.perf_counter() - started
    print(f"first load (convert GGUF, save safetensors, load): {first:.1f} s")
    print(f"cached load (safetensors): {cached:.1f} s")
    print(f"cached load + merge LoRA adapter: {merged:.1f} s  ({generator.version})")


if __name__ == "__main__":
    main()
