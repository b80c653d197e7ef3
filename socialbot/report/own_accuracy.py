"""The report's "accuracy on your posts": agreement with the brand's own labels, beside
the model card's figure."""

from __future__ import annotations

from markupsafe import Markup
from sqlalchemy import Connection

from socialbot.config import Config, WatchConfig
from socialbot.labels.accuracy import (
    AccuracyGroup,
    CardFigure,
    below_card,
    card_figures,
    card_folder,
    measure,
)
from socialbot.report.templating import render
from socialbot.store.labels import current_labels


def agreement_sections(
    groups: list[AccuracyGroup], card: dict[str, CardFigure]
) -> list[tuple[AccuracyGroup, list[str]]]:
    """Each group with the warnings to print under its table: where the agreement is
    clearly below the model card's figure."""
    return [(group, [warning for kind in group.kinds.values()
                     if (warning := below_card(kind, card.get(kind.kind)))])
            for group in groups]


def own_accuracy_section(conn: Connection, config: Config, watch: WatchConfig) -> Markup:
    """HTML for the section: one table per model version and sample, warnings under it."""
    groups = measure(current_labels(conn, watch=watch.name))
    card = card_figures(card_folder(config, watch.name)) if groups else {}
    return render("own_accuracy.html", sections=agreement_sections(groups, card), card=card)
