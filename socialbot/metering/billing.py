"""What a platform bills: a post created with a link costs more, and counts become money."""

from __future__ import annotations

import re
from dataclasses import dataclass

from socialbot.config import UnitPrices

# X turns bare domains ("parcelly.com/track") into links too, and bills them as URLs.
_URL = re.compile(
    r"https?://\S|\bwww\.\S|\b[a-z0-9-]+\.(?:com|net|org|io|co|app|dev|ly|me|info|biz|shop|"
    r"store|help|uk|de|fr|es|it|nl|eu|us|ca|au)\b(?:/\S*)?", re.IGNORECASE)


def has_url(text: str) -> bool:
    """Whether a post with this text is billed as a post with a URL."""
    return bool(_URL.search(text))


@dataclass(frozen=True, slots=True)
class Tally:
    """Billable calls over some days."""

    requests: int = 0
    reads: int = 0
    writes: int = 0
    url_writes: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.requests + other.requests, self.reads + other.reads,
                     self.writes + other.writes, self.url_writes + other.url_writes)

    def cost(self, prices: UnitPrices | None) -> float:
        """Estimated USD at `prices` (None: a free API)."""
        if prices is None:
            return 0.0
        plain = self.writes - self.url_writes
        return (self.reads * prices.post_read + plain * prices.post_created
                + self.url_writes * prices.post_created_with_url)
