"""CLI for the reply generator: `train replies` fine-tunes it with LoRA and writes its card.

Shares the `train` group with the classifier's commands: `register` adds `replies` to an
existing `train` group, or creates the group when it is not there yet.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_DATA = Path("../shared/data/replies")


def train_replies_cmd(
    ctx: typer.Context,
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data",
            help="CSV/JSONL file or folder of post -> brand-reply pairs; repeat to combine. "
            "Default: ../shared/data/replies.",
        ),
    ] = None,
    output: Annotated[Path, typer.Option(help="Folder to write the LoRA adapter and card to.")] = (
        Path("models/reply-smollm2")
    ),
    base: Annotated[
        str | None,
        typer.Option(help="Base: a local HF folder or .gguf file. Default: packaged SmolLM2."),
    ] = None,
    epochs: Annotated[float, typer.Option(help="Passes over the training pairs.")] = 1.0,
    learning_rate: Annotated[float, typer.Option(help="Peak AdamW learning rate.")] = 5e-4,
    batch_size: Annotated[int, typer.Option(help="Pairs per optimiser step.")] = 8,
    max_length: Annotated[int, typer.Option(help="Longest prompt+reply kept, in tokens.")] = 320,
    max_train_pairs: Annotated[int, typer.Option(help="Most training pairs used.")] = 400,
    held_out: Annotated[int, typer.Option(help="Pairs kept out to compare before/after.")] = 60,
    lora_r: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    eval_max_new_tokens: Annotated[
        int, typer.Option(help="Tokens generated per held-out draft (greedy).")
    ] = 60,
    base_eval: Annotated[bool, typer.Option(
        help="Also score the bare base on the held-out pairs (as slow as training on CPU; "
        "a pretrained base without the reply format gives nothing to compare).")] = True,
    threads: Annotated[int, typer.Option(help="torch CPU threads.")] = 2,
    seed: Annotated[int, typer.Option(help="Seed for the split, shuffling and init.")] = 0,
) -> None:
    """Fine-tune the reply generator (LoRA) and write a card with before/after figures."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from models.reply_training import TrainingArguments, train_replies
    from socialbot.cli.common import err_console, fail, setup_logging, verbosity
    from socialbot.drafting.guardrails import check, sanitise

    setup_logging(verbosity(ctx))
    console = err_console
    try:
        args = TrainingArguments(
            data=tuple(str(p) for p in (data or [DEFAULT_DATA])),
            output_dir=str(output),
            base=base,
            epochs=epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
            max_length=max_length,
            max_train_pairs=max_train_pairs,
            held_out=held_out,
            lora_r=lora_r,
            lora_alpha=2 * lora_r,
            eval_max_new_tokens=eval_max_new_tokens,
            base_eval=base_eval,
            threads=threads,
            seed=seed,
            command=shlex.join(["socialbot", *sys.argv[1:]]),
        )
    except ValueError as exc:
        fail(str(exc), code=2)

    def passes(draft: str, request: object, voice: object) -> bool:
        platform = getattr(request, "platform", "twitter")
        text = sanitise(draft, platform=platform)
        post = getattr(request, "text", "")
        return not check(text, post_text=post, platform=platform, voice=voice)  # type: ignore[arg-type]

    with Progress(
        TextColumn("[bold]training replies"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps  loss {task.fields[loss]}"),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("train", total=None, loss="-")

        def on_step(step: int, total: int, loss: float) -> None:
            progress.update(task, completed=step, total=total, loss=f"{loss:.3f}")
            if not console.is_terminal and (step % 5 == 0 or step == total):
                # no live bar in a log file: leave a line every few steps instead
                console.print(f"step {step}/{total} loss {loss:.3f}")

        if base_eval:
            console.print("scoring the base model on the held-out pairs (greedy; slow on CPU)...")
        report = train_replies(args, guardrail=passes, progress=on_step)

    before, after = report.before, report.after
    was = (f"{before.rouge_l:.4f} -> " if before else "")
    pass_was = (f"{before.guardrail_pass_rate:.1%} -> "
                if before and before.guardrail_pass_rate is not None else "")
    passed = "n/a" if after.guardrail_pass_rate is None else f"{after.guardrail_pass_rate:.1%}"
    console.print(
        f"held-out ROUGE-L {was}{after.rouge_l:.4f}; guardrail pass {pass_was}{passed}; "
        f"adapter and card in {output}"
    )


def register(app: typer.Typer) -> None:
    """Add `train replies`, joining the `train` group if another module made one."""
    for group in app.registered_groups:
        if group.name == "train" and group.typer_instance is not None:
            group.typer_instance.command("replies")(train_replies_cmd)
            return
    train_app = typer.Typer(help="Train the models socialbot ships.", no_args_is_help=True)
    train_app.command("replies")(train_replies_cmd)
    app.add_typer(train_app, name="train")
