"""What every stage of the flow is: a batch of work from the store, back to the store."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection

from socialbot.clock import Clock, WallClock
from socialbot.config import Config
from socialbot.stages.watch_classifiers import WatchClassifiers
from socialbot.store import Store


@dataclass
class StageContext:
    """What stage builders may draw on. Stages keep only the parts they need."""

    config: Config
    store: Store
    clock: Clock = field(default_factory=WallClock)
    stop: threading.Event = field(default_factory=threading.Event)
    _classifiers: WatchClassifiers | None = field(default=None, init=False, repr=False)

    def classifiers(self) -> WatchClassifiers:
        """Each watch's classifier, one set per process: the classify stage reads posts
        with them and the draft stage reads drafts with the same ones (its off-topic
        check), so a model is in memory once and a retrain reaches both."""
        if self._classifiers is None:
            from socialbot.stages.classify import load_classifier_folder

            config = self.config
            self._classifiers = WatchClassifiers(
                lambda folder: load_classifier_folder(config.classifier, folder),
                folders={w.name: config.classifier_folder(w.name) for w in config.watch},
                default=config.classifier_folder(None),
            )
        return self._classifiers


class Stage(ABC):
    """One arrow of the flow.

    `run_batch` claims one batch of input from the store, processes it and writes
    the output in one transaction, returning how many items it handled (0 means
    its input is drained for now). Any stage can be killed between batches, or
    inside one, and resume without loss or duplication. Construction must be
    cheap: load models lazily on the first batch.
    """

    #: the job name, unique per process (e.g. "ingest:demo", "classify")
    name: str
    #: the stage kind, used to look up its interval in [daemon.intervals]
    kind: str

    @abstractmethod
    def run_batch(self) -> int:
        """Process one batch; return the number of items handled."""

    def progress(self, conn: Connection) -> Mapping[str, int | str]:
        """Counts for `socialbot status`, e.g. {"done": 10, "pending": 3} (and what they
        are counted against, e.g. a model version)."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files, sessions or models."""
