"""The package-wide exception tree.

    SocialbotError
     ├── ConfigError        bad configuration: start-up stops, exit code 2
     └── StoreError         the database cannot be used as configured

Connector errors live in `connectors.base` (ConnectorError and its children) so
the connectors stay a leaf package; the core catches both families.
"""

from __future__ import annotations


class SocialbotError(Exception):
    """Base of every error socialbot raises on purpose."""


class ConfigError(SocialbotError):
    """The configuration is unusable. The message names the file and the key."""


class StoreError(SocialbotError):
    """The database is unreachable or its schema cannot be brought up to date."""
