"""The deliver stage: outbox rows -> channels, retried with backoff, each sent once."""

from __future__ import annotations

import logging

from sqlalchemy import Connection

from socialbot.clock import Clock, WallClock
from socialbot.config import AlertsConfig
from socialbot.stages.base import Stage, StageContext
from socialbot.store import Store
from socialbot.watching.channels import Channel, DeliveryError, build_channel
from socialbot.watching.outbox import claim, mark_failed, mark_sent, outbox_counts
from socialbot.watching.views import headline

logger = logging.getLogger(__name__)


class DeliverStage(Stage):
    """Claims due deliveries, sends each through its channel, records the outcome.

    Retries are about real time, so this stage uses the wall clock even during
    replay (a test passes its own clock instead of sleeping).
    """

    kind = "deliver"
    name = "deliver"

    def __init__(
        self,
        store: Store,
        channels: list[Channel],
        *,
        settings: AlertsConfig,
        clock: Clock | None = None,
        batch_size: int = 20,
    ) -> None:
        self.store = store
        self.channels = {c.name: c for c in channels}
        self.settings = settings
        self.clock = clock or WallClock()
        self.batch_size = batch_size

    def run_batch(self) -> int:
        with self.store.transaction() as conn:
            batch = claim(
                conn,
                now=self.clock.now(),
                lease=self.settings.lease,
                limit=self.batch_size,
                channels=list(self.channels),
            )
        for delivery in batch:
            channel = self.channels[delivery.channel]
            try:
                channel.send(delivery)
            except DeliveryError as exc:
                with self.store.transaction() as conn:
                    status = mark_failed(
                        conn, delivery, str(exc), now=self.clock.now(), settings=self.settings
                    )
                log = logger.error if status == "expired" else logger.warning
                log(
                    "alert %s via %s failed (attempt %d, %s): %s",
                    delivery.delivery_id,
                    delivery.channel,
                    delivery.attempts,
                    "giving up" if status == "expired" else "will retry",
                    exc,
                )
                continue
            with self.store.transaction() as conn:
                kept = mark_sent(conn, delivery, now=self.clock.now())
            logger.info(
                "alert sent via %s: %s%s",
                delivery.channel,
                headline(delivery.payload),
                "" if kept else " (claim had lapsed; another worker may retry)",
            )
        return len(batch)

    def progress(self, conn: Connection) -> dict[str, int]:
        return outbox_counts(conn)


def build_deliver_stages(ctx: StageContext) -> list[Stage]:
    """One deliver stage over every configured `[[channel]]` (none without any, or in dry run)."""
    if ctx.config.alerts.dry_run:
        return []
    channels = [build_channel(c) for c in ctx.config.channel]
    if not channels:
        return []
    return [DeliverStage(ctx.store, channels, settings=ctx.config.alerts)]
