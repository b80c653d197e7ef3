"""`socialbot eval topics`: per-topic precision and recall on posts labelled with a topic."""

from __future__ import annotations

import json
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from socialbot.cli.common import console, fail, get_config, open_configured_classifier
from socialbot.domain import Topic


class TopicEncoderChoice(StrEnum):
    """`[classifier] topic_encoder`'s values, for the command line."""

    base = "base"
    projected = "projected"
    shared = "shared"


def read_topics(path: Path) -> list[Topic]:
    """`[[topic]]` tables (name, description, examples), as in a watch's config."""
    from pydantic import ValidationError

    from socialbot.config import TopicConfig

    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8")).get("topic", [])
        return [TopicConfig.model_validate(t).to_domain() for t in tables]
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        fail(f"{path}: {exc}", code=2)


def eval_topics_cmd(
    ctx: typer.Context,
    data: Annotated[str, typer.Option(
        "--data", help="TSV with a text column and a topic column; FILE@heldout for the "
        "fixed fifth of it (FILE@train the rest, to tune on).")],
    label_column: Annotated[str, typer.Option(
        help="Column holding each post's topic; a label that is not a topic means "
        "`other`.")] = "topic",
    labels: Annotated[Path | None, typer.Option(
        help="TSV of id and topic labelled by hand for rows of --data (matched on its id "
        "column); only those rows are scored.")] = None,
    topics: Annotated[Path | None, typer.Option(
        help="TOML file of \\[\\[topic]] tables (default: the watch's topics in config).")
    ] = None,
    watch: Annotated[str | None, typer.Option(
        help="Watch whose topics to use (default: the first in config).")] = None,
    model: Annotated[Path | None, typer.Option(
        help="Classifier artefact folder (default: the configured one).")] = None,
    quantize: Annotated[bool, typer.Option(help="int8 per-row quantisation (CPU).")] = False,
    topic_encoder: Annotated[TopicEncoderChoice | None, typer.Option(
        help="Where topic embeddings come from (default: as configured): the base "
        "encoder's second pass, the fine-tuned pass projected into its space, or that pass "
        "as it is.")] = None,
    threshold: Annotated[float | None, typer.Option(
        help="Topic score threshold (default: as configured).")] = None,
    margin: Annotated[float | None, typer.Option(
        help="Second topics only within this of the best (default: as configured).")] = None,
    sweep: Annotated[bool, typer.Option(
        help="Also print macro-F1 over a grid of thresholds and margins (tune on "
        "FILE@train, report on FILE@heldout).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    record: Annotated[bool, typer.Option(
        help="Also keep the macro-F1 in the model folder's topic_metrics.json, which "
        "`socialbot report` shows beside the model's other figures.")] = False,
) -> None:
    """Per-topic precision, recall and F1 of few-shot topics, as assigned and best-only."""
    from models.datasets import DataFormatError
    from models.topic_eval import load_topic_rows, report_at, topic_similarities
    from socialbot.errors import ConfigError

    config = get_config(ctx)
    try:
        chosen = read_topics(topics) if topics else list(config.get_watch(watch).topics)
    except ConfigError as exc:
        fail(str(exc), code=2)
    if not chosen:
        fail("no topics to measure", code=2)
    names = [t.name for t in chosen]
    try:
        rows = load_topic_rows(data, label_column=label_column, topic_names=names,
                               labels=labels)
    except (DataFormatError, OSError) as exc:
        fail(str(exc))
    settings = config.classifier
    threshold = settings.topic_threshold if threshold is None else threshold
    margin = settings.topic_margin if margin is None else margin
    # the watch's own model when it has one (as the classify stage scores its posts)
    owner = watch or (config.watch[0].name if config.watch else None)
    encoder = settings.topic_encoder if topic_encoder is None else topic_encoder.value
    classifier = open_configured_classifier(config, model, watch=owner, quantize=quantize,
                                            topic_encoder=encoder)
    scores = topic_similarities(classifier, [r.text for r in rows], chosen)
    assigned = report_at(scores, rows, names, threshold=threshold, margin=margin)
    best = report_at(scores, rows, names, threshold=threshold, margin=0.0)
    if record:
        where = model or config.classifier_folder(owner)
        measured = (f"{data}{f' labelled by {labels.name}' if labels else ''} "
                    f"({topics.name if topics else 'config'} topics, {encoder})")
        record_topic_metrics(where, measured, len(rows), assigned.macro_f1, best.macro_f1)
    if json_out:
        typer.echo(json.dumps({"data": data, "model": classifier.version,
                               "as_assigned": assigned.as_dict(), "best_only": best.as_dict()}))
        return
    table = Table(title=f"{data}: {len(rows)} posts, {classifier.version}, threshold "
                  f"{threshold}, margin {margin}")
    for column in ("topic", "posts", "counted", "precision", "recall", "F1",
                   "best only: P / R / F1"):
        table.add_column(column, justify="left" if column == "topic" else "right")
    for name, f in assigned.per_topic.items():
        b = best.per_topic[name]
        table.add_row(name, str(f.support), str(f.counted), f"{f.precision:.2f}",
                      f"{f.recall:.2f}", f"{f.f1:.2f}",
                      f"{b.precision:.2f} / {b.recall:.2f} / {b.f1:.2f}")
    table.add_row("[b]macro over topics[/]", "", "", "", "", f"[b]{assigned.macro_f1:.3f}[/]",
                  f"{best.macro_f1:.3f}")
    console.print(table)
    if sweep:
        grid = Table(title="macro-F1 by threshold (rows) and margin (columns)")
        margins = (0.0, 0.02, 0.05, 0.1, 2.0)
        grid.add_column("threshold")
        for m in margins:
            grid.add_column(f"{m:g}" if m < 2 else "any", justify="right")
        for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
            cells = [report_at(scores, rows, names, threshold=t, margin=m).macro_f1
                     for m in margins]
            grid.add_row(f"{t:.2f}", *(f"{c:.3f}" for c in cells))
        console.print(grid)


#: in a model folder: topic macro-F1 per data set and topic source (`eval topics --record`)
TOPIC_METRICS_FILE = "topic_metrics.json"


def record_topic_metrics(folder: Path | None, measured: str, posts: int, macro_f1: float,
                         best_only_macro_f1: float) -> None:
    """Add one measurement to `folder`'s topic_metrics.json (None: the shipped model's)."""
    from models.classifier import DEFAULT_MODEL

    path = (folder or DEFAULT_MODEL) / TOPIC_METRICS_FILE
    try:
        kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except ValueError:
        kept = {}  # unreadable: start again rather than lose this measurement
    kept[measured] = {"posts": posts, "macro_f1": round(macro_f1, 4),
                      "best_only_macro_f1": round(best_only_macro_f1, 4)}
    path.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")
