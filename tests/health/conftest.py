"""The health tests run the real connectors against the fake APIs of tests/connectors."""

from __future__ import annotations

from tests.connectors.conftest import clock, prawcore_sleeps, server

__all__ = ["clock", "prawcore_sleeps", "server"]
