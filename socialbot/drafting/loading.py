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

    from models.generator import ReplyGenerator, default_adapter

    source = configured_base(config)
    adapter: Path | None
    if settings.adapter == "default":
        adapter = default_adapter(source)
    elif settings.adapter == "none":
        adapter = None
    else:
        adapter = config.resolve_path(settings.adapter)
    return ReplyGenerator.load(source, adapter=adapter, threads=settings.threads)


def configured_base(config: Config) -> str | Path | None:
    """The local generator's base as the models layer names it: `GEMMA_NAME` for packaged
    Gemma 3 270M (the default, better on held-out replies: models/reply-gemma3/README.md),
    None for packaged SmolLM2, else the model folder or .gguf file's path. Torch-free, so
    the start-up check reads the setting the same way loading does."""
    from models.generator import GEMMA_NAME, SMOLLM2_NAME  # plain names: no torch import

    model = config.drafting.model
    if model in ("", GEMMA_NAME):
        return GEMMA_NAME
    if model == SMOLLM2_NAME:
        return None
    return config.resolve_path(model)
