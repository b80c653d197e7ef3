"""Which local generator `[drafting] model` loads: Gemma 3 270M by default, SmolLM2 by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import generator as generator_module
from models.generator import DEFAULT_ADAPTER, GEMMA_ADAPTER, GEMMA_NAME
from socialbot.config import parse_config
from socialbot.drafting.loading import load_generator


@pytest.mark.parametrize(("model", "base", "adapter"), [
    (None, GEMMA_NAME, GEMMA_ADAPTER),  # unset: the default
    ("gemma3-270m", GEMMA_NAME, GEMMA_ADAPTER),
    ("smollm2-135m", None, DEFAULT_ADAPTER),  # the models layer's packaged SmolLM2
])
def test_the_configured_base_comes_with_its_own_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    model: str | None, base: str | None, adapter: Path,
) -> None:
    loaded: list[tuple[object, object]] = []

    def load(source: object, *, adapter: object, threads: object = None) -> str:
        loaded.append((source, adapter))
        return "generator"

    monkeypatch.setattr(generator_module.ReplyGenerator, "load", load)
    drafting = {"model": model} if model is not None else {}
    config = parse_config({"database": {"url": f"sqlite:///{tmp_path / 'x.db'}"},
                           "watch": [{"name": "acme"}], "drafting": drafting},
                          path=tmp_path / "config.toml")
    assert load_generator(config) == "generator"
    assert loaded == [(base, adapter)]
