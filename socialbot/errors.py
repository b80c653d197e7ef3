"""The package-wide exception tree: catch `SocialbotError` for "anything we raised on purpose".

    SocialbotError                  exit 1 unless a branch says otherwise
     ├── ConfigError                exit 2: bad configuration, start-up stops naming the key
     │    └── BucketWidthMismatch       (socialbot.watching.bucket_width)
     ├── StoreError                 the database cannot be used as configured
     │    └── LeaseLost                 (socialbot.store.ingest)
     ├── ConnectorError             a platform could not be read or written
     │    ├── SourceStopped             (connectors.base) needs a person
     │    │    └── CredentialsMissing
     │    ├── BadOptions                a source's options are wrong (also ValueError)
     │    ├── RateLimited
     │    └── TransientError
     ├── ModelError                 a model could not be found, read or run
     │    ├── ArtefactError             a classifier folder is wrong (also ValueError)
     │    ├── GeneratorError            generator weights cannot be loaded (also RuntimeError)
     │    └── GeneratorUnavailable      (socialbot.drafting.drafter) its server is down
     ├── DataFormatError            a data file is not labelled data we can read (also ValueError)
     ├── QueueError                 a moderation action could not be done
     │    └── ClaimLost                 (socialbot.moderation.queue)
     ├── DeliveryError              (socialbot.watching.channels) an alert could not be sent
     ├── LabelError                 (socialbot.store.labels) a bad label (also ValueError)
     ├── RetrainError               (socialbot.labels.retrain) retraining cannot start as asked
     ├── UserError                  (socialbot.store.web_users) a dashboard user change refused
     ├── ForgetRefused              (socialbot.privacy.forget) an erasure must wait
     └── UnknownReference           (socialbot.privacy.references) a table erasure cannot classify

The CLI prints any of them as one line, `error: <message>`, and exits with the class's
`exit_code`. Branches defined elsewhere are drawn with their module; the ones defined
here are re-exported where callers have always imported them (`connectors.base`,
`models.artefact`, `models.generator`, `models.datasets`, `socialbot.moderation.queue`).
The builtin second bases keep older `except ValueError` / `except RuntimeError` callers
working.
"""

from __future__ import annotations

from typing import ClassVar

#: exit codes of the `socialbot` command (README "Exit codes")
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


class SocialbotError(Exception):
    """Base of every error socialbot raises on purpose."""

    #: the `socialbot` command's exit code when this error ends it
    exit_code: ClassVar[int] = EXIT_FAILURE


class ConfigError(SocialbotError):
    """The configuration is unusable. The message names the file and the key."""

    exit_code = EXIT_CONFIG


class StoreError(SocialbotError):
    """The database is unreachable or its schema cannot be brought up to date."""


class ConnectorError(SocialbotError):
    """Base of every error a connector raises."""


class ModelError(SocialbotError):
    """A model (classifier or generator) could not be found, loaded or run."""


class ArtefactError(ModelError, ValueError):
    """An artefact folder is missing, malformed or does not fit its base model."""


class GeneratorError(ModelError, RuntimeError):
    """The generator's weights could not be found or loaded."""


class DataFormatError(SocialbotError, ValueError):
    """A data file could not be read as labelled sentiment data."""


class QueueError(SocialbotError):
    """A moderation action could not be done; the message says why, for the moderator."""
