"""`socialbot train topic-projection`: fit the map that scores topics in one encoder pass."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from socialbot.cli.common import count_progress, err_console, fail

#: unlabelled tweets, general and written to brands; labels are not read
DEFAULT_PROJECTION_DATA = [
    "../shared/data/sentiment/semeval-2013-2016",
    "../shared/data/brand/apple-sentiment.tsv@train",
    "../shared/data/brand/sxsw-brand-emotion.tsv@train",
]


def train_projection_cmd(
    model: Annotated[Path | None, typer.Option(
        help="Classifier artefact folder to add the projection to (default: the shipped "
        "one).")] = None,
    data: Annotated[list[str] | None, typer.Option(
        "--data", help="Posts to fit on (any labelled file or corpus folder `train "
        "sentiment` reads; labels are ignored); repeatable. Default: SemEval and the "
        "training parts of the Apple and SXSW sets.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the draw when there are more posts "
                                      "than are fitted on.")] = 0,
) -> None:
    """Fit the map that lets topics be scored without a second encoder pass.

    It maps the fine-tuned pass to the base encoder's sentence space, for
    `\\[classifier] topic_encoder = "projected"`.

    `train sentiment` fits it on its own training posts; this adds one to a model
    made without it, or refits it on posts closer to yours.
    """
    from models.classifier import DEFAULT_MODEL
    from models.datasets import DataFormatError, load_labelled
    from models.topic_projection import fit_for_artefact

    folder = model or DEFAULT_MODEL
    specs = data or DEFAULT_PROJECTION_DATA
    try:
        texts = [row.text for spec in specs for row in load_labelled(spec)]
    except (DataFormatError, OSError) as exc:
        fail(str(exc))
    try:
        with count_progress("embedding posts (both passes)") as progress:
            fit = fit_for_artefact(folder, texts, data=specs, progress=progress, seed=seed)
    except ValueError as exc:
        fail(str(exc), code=2)
    err_console.print(
        f"topic projection written to {folder}: fitted on {fit.fitted_on} posts; on "
        f"{fit.checked_on} held back, cosine to the base encoder's embedding "
        f"{fit.cosine_mean:.3f} on average, {fit.cosine_p10:.3f} or more for 90% of them")
