"""`socialbot train sentiment --labels`: fine-tune on the brand's labels, install if better."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from socialbot.cli.common import console, err_console, fail, get_config, get_store
from socialbot.errors import ConfigError

#: public data mixed in when present (the project's machines keep it beside the repository)
PUBLIC_SENTIMENT = Path("../shared/data/sentiment/semeval-2013-2016")
PUBLIC_NEED = "../shared/data/brand/complaints.tsv@train"


def train_from_labels(
    ctx: typer.Context, *, watch: str | None, data: list[Path] | None,
    need_data: list[str] | None, init_from: Path | None, install_to: Path | None,
    steps: int | None, heldout: float, seed: int, threads: int | None,
) -> None:
    """Fine-tune the current classifier on `watch`'s labels mixed with public rows, and
    install the result only if it agrees more with the held-out labels."""
    from models.classifier import DEFAULT_MODEL
    from models.datasets import DataFormatError, load_labelled
    from models.reply_need import load_complaints
    from socialbot.labels.retrain import (
        RetrainOptions,
        labelled_posts,
        retrain,
    )

    config = get_config(ctx)
    try:
        name = config.get_watch(watch).name
    except ConfigError as exc:
        fail(str(exc), code=2)
    configured = config.resolve_path(config.classifier.model) if config.classifier.model else None
    current = init_from or configured or DEFAULT_MODEL
    # the shipped artefact is part of the installed project: never written over
    target = install_to or configured or config.resolve_path(f"var/models/sentiment-{name}")
    if target.resolve() == DEFAULT_MODEL.resolve():
        fail("--install-to: the shipped model is not replaced; name another folder", code=2)
    try:
        options = RetrainOptions(heldout=heldout, seed=seed, num_threads=threads,
                                 quantize=config.classifier.quantize,
                                 **({"steps": steps} if steps else {}))
        public = [r for p in data or _present(PUBLIC_SENTIMENT) for r in load_labelled(p)]
        need_paths = need_data if need_data is not None else (
            [PUBLIC_NEED] if Path(PUBLIC_NEED.removesuffix("@train")).exists() else [])
        public_need = [r for p in need_paths for r in load_complaints(p)]
    except (DataFormatError, OSError, ValueError) as exc:
        fail(str(exc))
    store = get_store(ctx, config)
    with store.reading() as conn:
        posts = labelled_posts(conn, watch=name)
    err_console.print(f"{len(posts)} labelled posts of {name}; starting from {current}; "
                      f"{len(public)} public sentiment rows and {len(public_need)} public need "
                      f"rows to mix in; {options.steps} steps")
    with tempfile.TemporaryDirectory(prefix="socialbot-retrain-") as work:
        outcome = retrain(posts, current=current, install_to=target, work_dir=Path(work),
                          options=options, public=public, public_need=public_need)
    console.print(f"held-out labels ({outcome.held_posts} posts, not trained on; "
                  f"{outcome.train_posts} trained on):")
    console.print(f"  current {current.name}: {outcome.current}", highlight=False)
    console.print(f"  new {outcome.version}: {outcome.new}", highlight=False)
    if outcome.installed is None:
        console.print("[b]not installed[/]: the new model does not beat the current one on "
                      "the held-out labels; nothing was changed")
        return
    console.print(f"[b]installed[/] at {outcome.installed} (the one before is kept beside it "
                  "as .previous)")
    if configured is None or outcome.installed.resolve() != configured.resolve():
        console.print(f'to use it, set in config.toml: [classifier] model = '
                      f'"{outcome.installed}" and restart `socialbot run`; it then '
                      "reclassifies stored posts in the background, newest first",
                      highlight=False)
    else:
        console.print("a running `socialbot run` picks it up at its next classify batch and "
                      "reclassifies stored posts in the background, newest first "
                      "(`socialbot status` shows how many are left)")
    console.print(f"to do it now by hand instead: `socialbot reclassify --watch {name}`")


def _present(path: Path) -> list[Path]:
    return [path] if path.exists() else []
