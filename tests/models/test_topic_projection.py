"""Projected topics: the fine-tuned pass mapped into the base encoder's space, one pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from models.artefact import ArtefactConfig, ArtefactError
from models.classifier import load_classifier
from models.topic_projection import PROJECTION_FILE, fit_projection
from socialbot.domain import Topic
from tests.models.conftest import toy_rows

TOPICS = [
    Topic("delivery", "parcels arriving late or lost", ("my parcel is late",)),
    Topic("billing", "charges, refunds and invoices", ("charged twice",)),
]
#: texts the tiny model never trained on (its training texts are one cue word in filler)
UNSEEN = ["my parcel is late again", "charged twice for one order", "where is my refund",
          "the courier left it outside in the rain", "love the new app", "no reply for days"]


def _cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a * b).sum(-1).mean())


def test_a_fitted_projection_recovers_a_linear_map() -> None:
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(400, 8, generator=generator)
    truth = torch.randn(8, 4, generator=generator)
    targets = features @ truth + 0.5
    projection = fit_projection(features, targets, ridge=1e-6)
    expected = torch.nn.functional.normalize(targets, dim=-1)
    assert _cosine(projection(features), expected) > 0.9999


def test_training_fits_a_projection_closer_to_the_base_than_the_shared_pass(
        tiny_artefact: Path) -> None:
    """`train sentiment` leaves a projection beside the heads; through it the one
    fine-tuned pass lands nearer the base encoder's embeddings than the pass as it is,
    with no second encoder loaded."""
    assert (tiny_artefact / PROJECTION_FILE).exists()
    fit = ArtefactConfig.load(tiny_artefact).extra["topic_projection"]
    assert isinstance(fit, dict) and fit["fitted_on"] > 0
    base = load_classifier(tiny_artefact)
    projected = load_classifier(tiny_artefact, topic_encoder="projected")
    shared = load_classifier(tiny_artefact, topic_encoder="shared")
    # posts like the ones it was fitted on, not the same ones
    posts = [r.text for r in toy_rows(300, seed=11)]
    reference = base.embed(posts)
    assert _cosine(projected.embed(posts), reference) > _cosine(shared.embed(posts),
                                                                 reference) + 0.02
    assert projected.backend.topic_encoder is None  # one pass per post
    assert projected.version == "tiny-test+projtopics"
    # topic descriptions and examples stay embedded by the base encoder itself
    assert torch.allclose(projected.topic_index(TOPICS).prototypes,
                          base.topic_index(TOPICS).prototypes, atol=1e-5)
    said = projected.predict_batch(UNSEEN, TOPICS)
    assert [p.embedding for p in said] == [pytest.approx(row, abs=1e-4)
                                           for row in projected.embed(UNSEEN).tolist()]


def test_projected_topics_without_a_projection_say_how_to_fit_one(
        tiny_artefact: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(tiny_artefact, folder)
    (folder / PROJECTION_FILE).unlink()
    with pytest.raises(ArtefactError, match="socialbot train topic-projection"):
        load_classifier(folder, topic_encoder="projected")


def test_the_cli_fits_a_projection_for_a_model_without_one(
        tiny_artefact: Path, tmp_path: Path) -> None:
    from socialbot.cli import app

    folder = tmp_path / "model"
    shutil.copytree(tiny_artefact, folder)
    (folder / PROJECTION_FILE).unlink()
    data = tmp_path / "posts.tsv"
    data.write_text("label\ttext\n" + "".join(
        f"{('negative', 'neutral', 'positive')[r.label]}\t{r.text}\n" for r in toy_rows(200, 7)))
    result = CliRunner().invoke(app, ["train", "topic-projection", "--model", str(folder),
                                      "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "cosine to the base encoder's embedding" in result.output
    assert (folder / PROJECTION_FILE).exists()
    fit = ArtefactConfig.load(folder).extra["topic_projection"]
    assert isinstance(fit, dict) and fit["data"] == [str(data)]
    assert load_classifier(folder, topic_encoder="projected").embed(UNSEEN).shape[0] == 6


def test_too_few_posts_are_refused_with_a_reason(tiny_artefact: Path, tmp_path: Path) -> None:
    from socialbot.cli import app

    folder = tmp_path / "model"
    shutil.copytree(tiny_artefact, folder)
    data = tmp_path / "posts.tsv"
    data.write_text("label\ttext\nnegative\tlate again\npositive\tlove it\n")
    result = CliRunner().invoke(app, ["train", "topic-projection", "--model", str(folder),
                                      "--data", str(data)])
    assert result.exit_code == 2
    assert "too few to fit a topic projection" in result.output
