"""Building the reply generator from `[drafting]` config (imports torch only when called)."""

from __future__ import annotations

from pathlib import Path

from socialbot.config import Config
from socialbot.drafting.drafter import DraftGenerator


def load_generator(config: Config) -> DraftGenerator:
    """The configured generator: packaged Gemma 3 270M + the project's adapter for it by
    default, `model = "smollm2-135m"` for packaged SmolLM2-135M + its adapter, a model
    folder or .gguf by path, or an OpenAI-compatible server with `backend = "openai"`."""
    settings = config.drafting
    if settings.backend == "openai":
        from socialbot.drafting.openai_server import server_generator

        return server_generator(settings)

    from models.generator import GEMMA_NAME, SMOLLM2_NAME, ReplyGenerator, default_adapter

    # packaged bases are named rather than found by path; the models layer calls SmolLM2 None
    source: str | Path | None
    if settings.model in ("", GEMMA_NAME):
        source = GEMMA_NAME  # better on held-out replies (models/reply-gemma3/README.md)
    elif settings.model == SMOLLM2_NAME:
        source = None
    else:
        source = config.resolve_path(settings.model)
    adapter: Path | None
    if settings.adapter == "default":
        adapter = default_adapter(source)
    elif settings.adapter == "none":
        adapter = None
    else:
        adapter = config.resolve_path(settings.adapter)
    return ReplyGenerator.load(source, adapter=adapter, threads=settings.threads)
