"""Each watch's classifier in memory: one model per artefact folder, loaded on first use and
again when a retrain replaces the folder, so one watch's new model leaves the others alone."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from socialbot.domain import Prediction, Topic

logger = logging.getLogger(__name__)


class Classifier(Protocol):
    """What the stage needs from a model (models.classifier.PostClassifier is one)."""

    version: str

    def predict_batch(
        self, texts: list[str], topics: Sequence[Topic] = (), *, batch_size: int = 64
    ) -> list[Prediction]: ...


def folder_stamp(folder: Path | None) -> tuple[int, int] | None:
    """What tells a running daemon the model folder was replaced (a retrain installs by
    renaming a new folder into place): its metadata file's inode and modification time.
    None for the shipped model (part of the installed project, never swapped) and while
    the file is missing (mid-swap), which keeps the loaded model."""
    if folder is None:
        return None
    for name in ("classifier.json", "config.json"):
        try:
            info = (folder / name).stat()
        except OSError:
            continue
        return info.st_ino, info.st_mtime_ns
    return None


def model_stamp(folder: Path | None) -> Callable[[], tuple[int, int] | None]:
    """`folder_stamp` of one folder, as the one-model stage takes it."""
    return lambda: folder_stamp(folder)


@dataclass(slots=True)
class _Loaded:
    model: Classifier
    stamp: object


class WatchClassifiers:
    """The model each watch's posts are classified with.

    `folders` maps a watch to its artefact folder (None: the shipped model); watches not
    in it use `default`. Two watches naming the same folder share one loaded model. One
    lock covers every model: the classify and background reclassify jobs run one forward
    pass at a time (two would only halve each other's speed) and reload a model once.
    """

    def __init__(
        self,
        load: Callable[[Path | None], Classifier],
        *,
        folders: Mapping[str, Path | None] | None = None,
        default: Path | None = None,
        stamp: Callable[[Path | None], object] = folder_stamp,
    ) -> None:
        self._load = load
        # resolved, so "var/models/x" and "./var/models/x" are one model in memory
        self._folders = {w: _key(f) for w, f in (folders or {}).items()}
        self._default = _key(default)
        self._stamp = stamp
        self._loaded: dict[Path | None, _Loaded] = {}
        self.lock = threading.RLock()

    @classmethod
    def single(
        cls, load: Callable[[], Classifier], *, stamp: Callable[[], object] | None = None
    ) -> WatchClassifiers:
        """One model for every watch, reloaded when `stamp` changes."""
        return cls(lambda _folder: load(),
                   stamp=(lambda _folder: stamp()) if stamp is not None else (lambda _f: None))

    def folder(self, watch: str | None) -> Path | None:
        """The artefact folder `watch` uses (None: the shipped model)."""
        return self._folders.get(watch, self._default) if watch else self._default

    def for_watch(self, watch: str | None) -> Classifier:
        """`watch`'s model, loaded on first use and again when its folder was replaced."""
        folder = self.folder(watch)
        with self.lock:
            stamp = self._stamp(folder)
            loaded = self._loaded.get(folder)
            if loaded is None:
                loaded = self._loaded[folder] = _Loaded(self._load(folder), stamp)
                logger.info("classifier loaded: %s (%s)", loaded.model.version,
                            folder or "shipped")
            elif stamp is not None and stamp != loaded.stamp:
                before = loaded.model.version
                # a stamp first seen after the load (the folder appeared) is not a swap
                if loaded.stamp is not None:
                    loaded.model = self._load(folder)
                    logger.info("classifier folder %s replaced: now %s (was %s)", folder,
                                loaded.model.version, before)
                loaded.stamp = stamp
            return loaded.model

    def loaded_version(self, watch: str | None) -> str | None:
        """The version of `watch`'s model in memory (None before it is first loaded)."""
        loaded = self._loaded.get(self.folder(watch))
        return loaded.model.version if loaded is not None else None


def _key(folder: Path | None) -> Path | None:
    return folder.resolve() if folder is not None else None
