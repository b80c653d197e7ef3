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
    """Fine-tune `watch`'s current classifier on its labels mixed with public rows, and
    install the result, for that watch only, if it agrees more with the held-out labels."""
    from models.classifier import DEFAULT_MODEL
    from models.datasets import DataFormatError, load_labelled
    from models.reply_need import load_complaints
    from socialbot.labels.retrain import (
        RetrainOptions,
        labelled_posts,
        retrain,
    )
    from socialbot.labels.watch_model import retrain_paths

    config = get_config(ctx)
    try:
        chosen = config.get_watch(watch)
        paths = retrain_paths(config, chosen, shipped=DEFAULT_MODEL, init_from=init_from,
                              install_to=install_to)
    except ConfigError as exc:
        fail(str(exc), code=2)
    name, current, target = chosen.name, paths.current, paths.target
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
    if paths.config_line is not None:
        console.print(f"to use it for {name} only, add under its [[watch]] in config.toml:",
                      highlight=False, markup=False)
        console.print(f"  {paths.config_line}", highlight=False, markup=False)
        console.print("and restart `socialbot run`; it then reclassifies that watch's stored "
                      "posts in the background, newest first", highlight=False)
    else:
        console.print(f"a running `socialbot run` picks it up for {name} at its next classify "
                      "batch and reclassifies that watch's stored posts in the background, "
                      "newest first (`socialbot status` shows how many are left)",
                      highlight=False)
    if paths.shared_with:
        console.print(f"[yellow]note:[/] {', '.join(paths.shared_with)} use(s) this folder "
                      "too, so their model changed as well", highlight=False)
    console.print(f"to do it now by hand instead: `socialbot reclassify --watch {name}`")


def _present(path: Path) -> list[Path]:
    return [path] if path.exists() else []
