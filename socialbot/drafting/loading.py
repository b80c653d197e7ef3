"""Building the reply generator from `[drafting]` config (imports torch only when called)."""

from __future__ import annotations

from pathlib import Path

from socialbot.config import Config
from socialbot.drafting.drafter import DraftGenerator


def load_generator(config: Config) -> DraftGenerator:
    """The configured generator: packaged SmolLM2 + the project's adapter by default,
    or an OpenAI-compatible server with `backend = "openai"`."""
    settings = config.drafting
    if settings.backend == "openai":
        from socialbot.drafting.openai_server import server_generator

        return server_generator(settings)

    from models.generator import DEFAULT_ADAPTER, ReplyGenerator

    adapter: Path | None
    if settings.adapter == "default":
        adapter = DEFAULT_ADAPTER
    elif settings.adapter == "none":
        adapter = None
    else:
        adapter = config.resolve_path(settings.adapter)
    source = config.resolve_path(settings.model) if settings.model else None
    return ReplyGenerator.load(source, adapter=adapter, threads=settings.threads)
