"""Building the reply generator from `[drafting]` config (imports torch only when called)."""

from __future__ import annotations

from pathlib import Path

from socialbot.config import Config
from socialbot.drafting.drafter import DraftGenerator


def load_generator(config: Config) -> DraftGenerator:
    """The configured generator: packaged SmolLM2 + the project's adapter by default,
    `model = "gemma3-270m"` for packaged Gemma 3 270M + its adapter, or an
    OpenAI-compatible server with `backend = "openai"`."""
    settings = config.drafting
    if settings.backend == "openai":
        from socialbot.drafting.openai_server import server_generator

        return server_generator(settings)

    from models.generator import GEMMA_NAME, ReplyGenerator, default_adapter

    source: str | Path | None = None
    if settings.model == GEMMA_NAME:
        source = GEMMA_NAME  # a packaged base, named rather than found by path
    elif settings.model:
        source = config.resolve_path(settings.model)
    adapter: Path | None
    if settings.adapter == "default":
        adapter = default_adapter(source)
    elif settings.adapter == "none":
        adapter = None
    else:
        adapter = config.resolve_path(settings.adapter)
    return ReplyGenerator.load(source, adapter=adapter, threads=settings.threads)
