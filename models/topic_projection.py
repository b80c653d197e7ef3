"""Topic embeddings from the fine-tuned pass, mapped back into the base encoder's space.

Topics are few-shot: a post is compared with embeddings of each topic's description and
examples, written for the untouched sentence encoder (all-MiniLM-L6-v2). Fine-tuning for
sentiment and need moves the encoder's own mean-pooled vector away from that space, so
scoring topics on it loses most of their accuracy (macro-F1 0.30 against 0.57 on the
travel posts of bench/topics/), and scoring them on the base encoder costs a second
pass per post, which halves classification speed.

A linear map from the fine-tuned pass's ``[CLS]`` and mean vectors (the heads' input)
to the base encoder's sentence embedding recovers most of it for the cost of one small
matrix product: ridge regression fitted on a few thousand unlabelled posts, stored in
the artefact as ``topic_projection.safetensors``. Topic texts are still embedded by the
base encoder, once per topic list, so they stay the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

PROJECTION_FILE = "topic_projection.safetensors"

#: ridge penalty; on 14,000 tweets 1-10 fit the held-out ones alike (cosine 0.948)
DEFAULT_RIDGE = 10.0


class TopicProjection(nn.Module):
    """``embedding = normalise((features - feature_mean) @ weight + target_mean)``.

    A module holding buffers, so it moves with the classifier to its device.
    """

    def __init__(self, feature_mean: torch.Tensor, weight: torch.Tensor,
                 target_mean: torch.Tensor) -> None:
        super().__init__()
        self.feature_mean: torch.Tensor
        self.weight: torch.Tensor
        self.target_mean: torch.Tensor
        self.register_buffer("feature_mean", feature_mean)  # [1, 2 * hidden]
        self.register_buffer("weight", weight)  # [2 * hidden, hidden]
        self.register_buffer("target_mean", target_mean)  # [1, hidden]

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Normalised base-space embeddings of `features` (``[CLS]`` + mean, per row)."""
        x = features.to(self.weight.dtype)
        return nn.functional.normalize((x - self.feature_mean) @ self.weight
                                       + self.target_mean, dim=-1).float()

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        save_file({name: tensor.detach().cpu().contiguous()
                   for name, tensor in self.state_dict().items()},
                  str(folder / PROJECTION_FILE))


def read_projection(folder: Path, hidden_size: int) -> TopicProjection | None:
    """The artefact's topic projection, or None when it has none."""
    from safetensors.torch import load_file

    path = folder / PROJECTION_FILE
    if not path.exists():
        return None
    state = load_file(str(path))
    projection = TopicProjection(state["feature_mean"].float(), state["weight"].float(),
                                 state["target_mean"].float())
    if tuple(projection.weight.shape) != (2 * hidden_size, hidden_size):
        raise ValueError(f"{path}: weight is {tuple(projection.weight.shape)}, expected "
                         f"{(2 * hidden_size, hidden_size)} for this encoder")
    return projection


def fit_projection(features: torch.Tensor, targets: torch.Tensor, *,
                   ridge: float = DEFAULT_RIDGE) -> TopicProjection:
    """Least squares with an L2 penalty from `features` to `targets`, in closed form."""
    if len(features) != len(targets) or len(features) < 2:
        raise ValueError("need at least two posts, as many features as targets")
    x, y = features.double(), targets.double()
    x_mean, y_mean = x.mean(0, keepdim=True), y.mean(0, keepdim=True)
    xc = x - x_mean
    gram = xc.T @ xc + ridge * torch.eye(x.shape[1], dtype=x.dtype)
    weight = torch.linalg.solve(gram, xc.T @ (y - y_mean))
    return TopicProjection(x_mean.float(), weight.float(), y_mean.float())


@dataclass(frozen=True, slots=True)
class ProjectionFit:
    """How well a fitted projection reproduces the base embeddings it was not fitted on."""

    projection: TopicProjection
    fitted_on: int
    checked_on: int
    cosine_mean: float
    cosine_p10: float

    def meta(self, data: Sequence[str]) -> dict[str, object]:
        """For ``classifier.json``: what it was fitted on and how close it comes."""
        return {"data": list(data), "fitted_on": self.fitted_on, "checked_on": self.checked_on,
                "cosine_to_base_mean": round(self.cosine_mean, 4),
                "cosine_to_base_p10": round(self.cosine_p10, 4), "ridge": DEFAULT_RIDGE}


def fit_and_check(features: torch.Tensor, targets: torch.Tensor, *,
                  check_every: int = 10) -> ProjectionFit:
    """Fit on all but every `check_every`-th post, report the cosine on those, then refit
    on all of them (the figures describe the held-back posts, the map uses every post)."""
    held = torch.zeros(len(features), dtype=torch.bool)
    held[::check_every] = True
    trial = fit_projection(features[~held], targets[~held])
    cosine = (trial(features[held]) * nn.functional.normalize(targets[held].float(), dim=-1)
              ).sum(-1)
    return ProjectionFit(fit_projection(features, targets), int((~held).sum()),
                         int(held.sum()), float(cosine.mean()),
                         float(cosine.quantile(0.1)))


#: fewer posts than this fit no useful map (a tiny test model is trained on about 40)
MIN_PROJECTION_POSTS = 20

#: posts a projection is fitted on, at most: 8,000 tweets fit held-out ones within 0.002
#: of 14,000 (cosine 0.946 against 0.948)
MAX_FIT_POSTS = 8000


def fit_for_artefact(folder: str | Path, texts: Sequence[str], *, data: Sequence[str] = (),
                     progress: Callable[[int, int], None] | None = None,
                     seed: int = 0) -> ProjectionFit:
    """Fit the topic projection of the artefact at `folder` on `texts` (unlabelled posts,
    a seeded draw of `MAX_FIT_POSTS` when there are more), save it there and record the
    fit in ``classifier.json``. Both passes run in fp32; `progress(done, total)` follows
    them."""
    import random

    from models.artefact import ArtefactConfig
    from models.classifier import load_classifier

    folder = Path(folder)
    picked = list(texts)
    if len(picked) > MAX_FIT_POSTS:
        picked = random.Random(seed).sample(picked, MAX_FIT_POSTS)
    if len(picked) < MIN_PROJECTION_POSTS:
        raise ValueError(f"{len(picked)} posts are too few to fit a topic projection on")
    classifier = load_classifier(folder, quantize=False, topic_encoder="base")
    step = 512
    features, targets = [], []
    for start in range(0, len(picked), step):
        chunk = picked[start:start + step]
        features.append(classifier.features(chunk))
        targets.append(classifier.embed(chunk))
        if progress is not None:
            progress(min(start + step, len(picked)), len(picked))
    fit = fit_and_check(torch.cat(features), torch.cat(targets))
    fit.projection.save(folder)
    config = ArtefactConfig.load(folder)
    config.extra["topic_projection"] = fit.meta(data)
    config.save(folder)
    return fit
