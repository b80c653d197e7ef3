"""Building each configured source's meter and read budget from config."""

from __future__ import annotations

from connectors.base import Connector
from socialbot.config import Config, SourceConfig
from socialbot.metering.spending import ReadBudgetRule, SourceSpending

#: the source kinds that read from a platform's API; a replayed file costs nothing
METERED_KINDS = frozenset({"twitter", "reddit"})


def connector_spending(
    connector: Connector, source: SourceConfig, config: Config
) -> SourceSpending | None:
    """The meter for `source` (None for a kind that reads no platform API)."""
    if source.kind not in METERED_KINDS:
        return None
    from socialbot.stages.alerts import channels_for

    # the connector's own page cap (X: 100), so a shrinking page shrinks from there
    options = getattr(connector, "settings", None)
    page_size = min(config.daemon.page_size,
                    int(getattr(options, "page_size", config.daemon.page_size)))
    budget = None
    if source.monthly_read_budget is not None:
        prices = config.pricing.prices_for(source.kind)
        budget = ReadBudgetRule(
            posts=source.monthly_read_budget.posts(prices.post_read if prices else 0.0),
            as_written=str(source.monthly_read_budget),
            watch=source.watch,
            channels=channels_for(config, source.watch or ""),
            settings=config.alerts,
        )
    return SourceSpending(source=source.name, platform=source.kind, page_size=page_size,
                          smallest_page=connector.smallest_page, budget=budget)
