"""The report's "accuracy on your posts": agreement with the brand's own labels, beside
the model card's figure."""

from __future__ import annotations

import html

from sqlalchemy import Connection

from socialbot.config import Config, WatchConfig
from socialbot.labels.accuracy import Agreement, below_card, card_figures, card_folder, measure
from socialbot.store.labels import current_labels

e = html.escape


def own_accuracy_section(conn: Connection, config: Config, watch: WatchConfig) -> str:
    """HTML for the section: one table per model version and sample, warnings under it."""
    groups = measure(current_labels(conn, watch=watch.name))
    head = "<h2>Accuracy on your posts</h2>"
    if not groups:
        return head + (
            "<p>No labelled posts yet. Moderators correct the classifier in "
            "<code>socialbot queue</code> (key c); <code>socialbot label</code> labels a "
            "random sample for an unbiased figure.</p>")
    card = card_figures(card_folder(config))
    parts = [head, "<p class='muted'>How often the classifier said what the people who "
             "labelled your posts said, with a 95% (Wilson) interval. <i>drafted</i>: posts "
             "that got a draft, not a random sample; <i>random</i>: a random sample of "
             "recent posts.</p>"]
    for group in groups:
        parts.append(f"<h3>model <code>{e(group.model_version)}</code>, sample "
                     f"{e(group.sample)}</h3>")
        rows = ["<tr><th>label</th><th>class / topic</th><th>agreement</th>"
                "<th>95% interval</th><th>posts</th><th>model card</th></tr>"]
        warnings = []
        for kind in group.kinds.values():
            figure = card.get(kind.kind)
            rows.append(_row(kind.kind, "<b>all</b>", kind.overall,
                             f"{figure.accuracy:.1%}" if figure else "not stated"))
            rows.extend(_row("", e(name), agreement, "")
                        for name, agreement in kind.per_class.items())
            warning = below_card(kind, figure)
            if warning:
                warnings.append(f"<p class='alert'>⚠ {e(warning)}</p>")
        parts.append(f"<table>{''.join(rows)}</table>")
        parts.extend(warnings)
    return "\n".join(parts)


def _row(kind: str, name: str, agreement: Agreement, card: str) -> str:
    lo, hi = agreement.interval
    return (f"<tr><td>{e(kind)}</td><td>{name}</td><td>{agreement.rate:.1%}</td>"
            f"<td>{lo:.1%}-{hi:.1%}</td><td>{agreement.total}</td><td>{card}</td></tr>")
