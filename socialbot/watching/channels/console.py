"""The console channel: the alert's plain-text summary on stderr (or any stream)."""

from __future__ import annotations

import sys
from typing import TextIO

from socialbot.watching.outbox import Delivery
from socialbot.watching.views import text_summary


class ConsoleChannel:
    """Prints alerts where the daemon's operator sees them."""

    def __init__(self, name: str, *, stream: TextIO | None = None) -> None:
        self.name = name
        self.stream = stream

    def send(self, delivery: Delivery) -> None:
        out = self.stream or sys.stderr
        out.write(text_summary(delivery.payload) + "\n\n")
        out.flush()
