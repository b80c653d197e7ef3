"""Where a retrain on one watch's labels starts and where it installs: that watch's own
model folder, so the new model changes the classifier of that watch only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from socialbot.config import Config, WatchConfig
from socialbot.errors import ConfigError


@dataclass(frozen=True, slots=True)
class RetrainPaths:
    """The folders of one retrain, and what config.toml needs for the watch to use it."""

    #: the model fine-tuned from, and compared with on the held-out labels
    current: Path
    #: where the new model is installed if it is better
    target: Path
    #: the line to add under the watch in config.toml (None: the watch already uses `target`)
    config_line: str | None
    #: other watches that use `target` too, whose model the install also changes
    shared_with: tuple[str, ...]


def retrain_paths(
    config: Config, watch: WatchConfig, *, shipped: Path,
    init_from: Path | None = None, install_to: Path | None = None,
) -> RetrainPaths:
    """From the watch's current model (its `classifier`, else `[classifier] model`, else
    `shipped`) to its own folder: its `classifier` when set, else
    `var/models/sentiment-<watch>`; `init_from` and `install_to` override them."""
    own = config.resolve_path(watch.classifier) if watch.classifier else None
    used = config.classifier_folder(watch.name)
    target = install_to or own or config.resolve_path(f"var/models/sentiment-{watch.name}")
    if _same(target, shipped):
        # the shipped artefact is part of the installed project: never written over
        named = "--install-to" if install_to else f"watch {watch.name}: classifier"
        raise ConfigError(f"{named}: {target} is the shipped model, which is never "
                          "replaced; name another folder with --install-to")
    shared = tuple(w.name for w in config.watch if w.name != watch.name
                   and _same(config.classifier_folder(w.name) or shipped, target))
    return RetrainPaths(
        current=init_from or used or shipped,
        target=target,
        config_line=None if used is not None and _same(used, target)
        else f'classifier = "{_as_written(config, target)}"',
        shared_with=shared,
    )


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _as_written(config: Config, folder: Path) -> str:
    """`folder` as config.toml would name it: relative to its own folder when inside it."""
    try:
        return folder.resolve().relative_to(config.base_dir.resolve()).as_posix()
    except ValueError:
        return folder.resolve().as_posix()
