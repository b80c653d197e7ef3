"""Commands that re-run part of the flow over stored posts."""

from __future__ import annotations

from typing import Annotated

import typer

from socialbot.cli.common import (
    console,
    count_progress,
    fail,
    get_config,
    get_store,
    setup_logging,
    verbosity,
)


def reclassify(
    ctx: typer.Context,
    watch: Annotated[
        str | None, typer.Option(help="Only this watch's posts (default: all posts).")
    ] = None,
) -> None:
    """Classify stored posts again, e.g. after editing a watch's topics or changing model."""
    from socialbot.model_paths import check_classifier_path
    from socialbot.reclassify import reclassify as run_reclassify
    from socialbot.stages import StageContext, build_stages
    from socialbot.stages.classify import ClassifyStage

    setup_logging(verbosity(ctx), quiet=True)
    config = get_config(ctx)
    if watch is not None:
        config.get_watch(watch)  # an unknown name is a clear error, not an empty run
    check_classifier_path(config)  # a wrong model path: one line now, not a traceback
    store = get_store(ctx, config)
    stages = build_stages(StageContext(config=config, store=store), only={"classify"})
    stage = next((s for s in stages if isinstance(s, ClassifyStage)), None)
    if stage is None:
        fail("classification is disabled in config ([classifier] enabled = false)")
    with count_progress("reclassifying") as on_progress:
        done = run_reclassify(stage, watch=watch, on_progress=on_progress)
    if not done:
        console.print("no posts to reclassify")
        return
    # each watch's posts went through its own model: name the ones that did the work
    used = [watch] if watch is not None else stage.watches
    versions = ", ".join(f"{w}: {v}" for w in used if (v := stage.loaded_version(w)))
    console.print(f"{done} posts reclassified with {versions}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(reclassify)
