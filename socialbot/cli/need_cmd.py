"""CLI for the "needs a reply" head: `train need` and `eval need`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from socialbot.cli.common import console, count_progress, err_console, fail

DEFAULT_NEED_DATA = "../shared/data/brand/complaints.tsv"


def train_need_cmd(
    data: Annotated[str, typer.Option(
        "--data", help="complaints.tsv (id, complaint 0/1, domain, text); FILE@train takes "
        "the fixed training part and leaves FILE@heldout unseen.")
    ] = DEFAULT_NEED_DATA + "@train",
    model: Annotated[Path | None, typer.Option(
        help="Classifier artefact folder to add the head to (default: the shipped one).")
    ] = None,
    steps: Annotated[int, typer.Option(help="Full-batch optimiser steps.")] = 300,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate.")] = 1e-3,
    weight_decay: Annotated[float, typer.Option(help="AdamW weight decay.")] = 1e-2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Fit the complaint / question / none head on a frozen classifier and save it there."""
    from models.classifier import DEFAULT_MODEL
    from models.datasets import DataFormatError
    from models.reply_need import NeedTraining, load_complaints, train_need_head

    try:
        args = NeedTraining(steps=steps, learning_rate=learning_rate,
                            weight_decay=weight_decay, seed=seed)
        rows = load_complaints(data)
    except (ValueError, OSError) as exc:
        code = 1 if isinstance(exc, DataFormatError | OSError) else 2
        fail(str(exc), code=code)
    folder = model or DEFAULT_MODEL
    with count_progress("embedding posts") as progress:
        train_need_head(folder, rows, args, data=data, progress=progress)
    err_console.print(f"need head written to {folder} ({len(rows)} rows)")
    record_need_metrics(folder, data)


def record_need_metrics(folder: Path, data: str) -> None:
    """Measure the head on the part of `data` training never saw, for the report.

    Only for ``FILE@train`` data: anything else has no unseen part to measure on.
    """
    from models.reply_need import evaluate_need, load_complaints

    if not data.endswith("@train"):
        return
    heldout = data.removesuffix("@train") + "@heldout"
    report = evaluate_need(folder, load_complaints(heldout), quantize=True)
    (folder / "need_metrics.json").write_text(
        json.dumps({"data": heldout, "quantized": True, **report.as_dict()}, indent=2) + "\n")
    err_console.print(f"{heldout}: complaint F1 {report.complaint_f1:.3f} "
                      f"(written to {folder / 'need_metrics.json'})")


def eval_need_cmd(
    data: Annotated[str, typer.Option(
        "--data", help="complaints.tsv, or FILE@heldout for the part training never saw.")
    ] = DEFAULT_NEED_DATA + "@heldout",
    model: Annotated[Path | None, typer.Option(
        help="Classifier artefact folder (default: the shipped one).")] = None,
    quantize: Annotated[bool, typer.Option(help="int8 per-row quantisation (CPU).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Complaint precision/recall/F1 and how well "needs a reply" is told from the rest."""
    from models.datasets import DataFormatError
    from models.reply_need import NEEDS, evaluate_need, load_complaints

    try:
        rows = load_complaints(data)
        report = evaluate_need(model, rows, quantize=quantize)
    except (DataFormatError, OSError, ValueError) as exc:
        fail(str(exc))
    if json_out:
        typer.echo(json.dumps(report.as_dict()))
        return
    table = Table(title=f"{data} ({report.rows} rows)", show_header=False)
    table.add_row("complaint precision / recall / F1",
                  f"{report.complaint_precision:.3f} / {report.complaint_recall:.3f} / "
                  f"[b]{report.complaint_f1:.3f}[/]")
    table.add_row("needs a reply (complaint or question) precision / recall",
                  f"{report.reply_precision:.3f} / {report.reply_recall:.3f}")
    table.add_row("accuracy (3 classes)", f"{report.accuracy:.3f}")
    console.print(table)
    confusion = Table(title="confusion (rows: truth, columns: predicted)")
    confusion.add_column("")
    for name in NEEDS:
        confusion.add_column(name)
    for name, row in zip(NEEDS, report.confusion, strict=True):
        confusion.add_row(name, *(str(v) for v in row))
    console.print(confusion)
