"""Regenerating one draft from the queue with the configured generator (loaded on first use)."""

from __future__ import annotations

from collections.abc import Callable

from socialbot.config import Config
from socialbot.domain import DraftRequest
from socialbot.drafting.drafter import DraftGenerator, DraftResult, draft_replies
from socialbot.drafting.policy import brand_voice
from socialbot.moderation.queue import QueueItem


class Regenerator:
    """Callable the queue uses for `regenerate`: a new draft, never the one on screen."""

    def __init__(self, config: Config, factory: Callable[[], DraftGenerator]) -> None:
        self.config = config
        self._factory = factory
        self._generator: DraftGenerator | None = None

    def __call__(self, item: QueueItem) -> DraftResult:
        if self._generator is None:
            self._generator = self._factory()
        settings = self.config.drafting
        request = DraftRequest(
            text=item.post_text,
            platform=item.platform,
            author=item.author,
            thread=tuple(p.text for p in item.thread),
            sentiment=item.sentiment,
            topics=item.topics,
        )
        [result] = draft_replies(
            [request],
            generator=self._generator,
            voice=brand_voice(self.config.get_watch(item.watch)),
            max_attempts=settings.max_attempts,
            # past every seed already tried for this draft, so the text is new
            seed=item.seed + settings.max_attempts,
            max_new_tokens=settings.max_new_tokens,
            recent=[item.text],
        )
        return result
