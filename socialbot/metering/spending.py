"""One source's meter: counts what each fetch read, and holds the source to its read budget."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from socialbot.config import AlertsConfig
from socialbot.domain import Page
from socialbot.metering.budget import Allowance, allowance, month_start
from socialbot.metering.budget_alert import alert_budget_stop, close_budget_alerts
from socialbot.store import Store
from socialbot.store.ingest import fingerprint
from socialbot.store.usage import last_fetch_at, reads_since, record_fetch

logger = logging.getLogger(__name__)


def billed_ids(page: Page) -> list[str]:
    """What the platform billed for this page: every post it returned, quarantined or not.

    A record that could not be read as a post has no trustworthy id; its raw
    text's fingerprint stands in, so re-reading it the same day counts once too.
    """
    return [p.id for p in page.posts] + [f"raw:{fingerprint(r.raw)}" for r in page.rejected]


@dataclass(frozen=True, slots=True)
class ReadBudgetRule:
    """A source's `monthly_read_budget`, in posts, and where its one alert goes."""

    posts: int
    #: as written in config ("$50", "100000 posts"), for the alert
    as_written: str
    watch: str | None
    channels: list[str]
    settings: AlertsConfig


class SourceSpending:
    """Counts one source's billable reads; with a budget, sizes and spaces its fetches."""

    def __init__(
        self, *, source: str, platform: str, page_size: int, smallest_page: int = 1,
        budget: ReadBudgetRule | None = None,
    ) -> None:
        self.source = source
        self.platform = platform
        self.page_size = page_size
        self.smallest_page = smallest_page
        self.budget = budget
        #: the month this process last recorded a stop in / closed old budget alerts in
        self._stopped_month: date | None = None
        self._renewed_month: date | None = None

    def page_limit(self, store: Store, *, now: datetime) -> int:
        """Posts the next fetch may ask for now; 0 means wait (slowed down, or stopped)."""
        if self.budget is None:
            return self.page_size
        spent = self.allowance(store, now=now)
        month = month_start(now)
        if spent.stopped and self._stopped_month != month:
            self._stop(store, spent, now)
            self._stopped_month = month
        elif not spent.stopped and self._renewed_month != month:
            with store.transaction() as conn:
                if close_budget_alerts(conn, source=self.source, watch=self.budget.watch,
                                       now=now):
                    logger.info("source %s: polling again within its read budget",
                                self.source)
            self._renewed_month = month
        return spent.limit

    def allowance(self, store: Store, *, now: datetime) -> Allowance:
        """Where the source stands against its budget (every source has one here)."""
        assert self.budget is not None
        with store.reading() as conn:
            used = reads_since(conn, self.source, month_start(now))
            last = last_fetch_at(conn, self.source)
        return allowance(budget=self.budget.posts, used=used, page_size=self.page_size,
                         smallest_page=self.smallest_page, now=now, last_fetch=last)

    def _stop(self, store: Store, spent: Allowance, now: datetime) -> None:
        assert self.budget is not None
        with store.transaction() as conn:
            alert_budget_stop(conn, source=self.source, watch=self.budget.watch, spent=spent,
                              budget_text=self.budget.as_written, now=now,
                              channels=self.budget.channels, settings=self.budget.settings)

    def record(self, store: Store, page: Page, *, now: datetime) -> int:
        """Count what `page` read (its own transaction: the reads are billed even if the
        page is then not stored); returns the billed reads."""
        with store.transaction() as conn:
            return record_fetch(conn, source=self.source, platform=self.platform,
                                post_ids=billed_ids(page), now=now)
