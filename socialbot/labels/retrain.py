"""Fine-tune the classifier on a brand's own labels; keep the result only if it is better.

The brand's labelled posts are split (stratified by sentiment, seeded) into a training
part and a held-out part. The new model starts from the current artefact and trains on
the training part, repeated, mixed with as many rows of public data; then both models
answer the held-out posts, and the new one is installed only if it agrees with the
people more often on sentiment without agreeing less on the need for a reply.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import shutil
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, select

from models.datasets import LabelledText
from models.reply_need import NEEDS, NeedExample
from socialbot.domain import SENTIMENTS
from socialbot.errors import SocialbotError
from socialbot.labels.accuracy import Agreement
from socialbot.store.ingest import POSTS
from socialbot.store.labels import current_labels

logger = logging.getLogger(__name__)


class RetrainError(SocialbotError):
    """Retraining cannot start as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class LabelledPost:
    """A post of the brand with what people said it is (None: that kind not labelled)."""

    key: tuple[str, str]
    text: str
    sentiment: str | None
    need: str | None


def labelled_posts(conn: Connection, *, watch: str) -> list[LabelledPost]:
    """The watch's posts with a sentiment or need label, with their text, in a fixed order."""
    by_post: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for label in current_labels(conn, watch=watch):
        if label.kind in ("sentiment", "need"):
            by_post[(label.platform, label.post_id)][label.kind] = label.value
    if not by_post:
        return []
    texts = {
        (r.platform, r.post_id): r.text
        for r in conn.execute(select(POSTS.c.platform, POSTS.c.post_id, POSTS.c.text)
                              .where(POSTS.c.watch == watch))
    }
    return [LabelledPost(key, texts[key], kinds.get("sentiment"), kinds.get("need"))
            for key, kinds in sorted(by_post.items()) if key in texts]


def split_posts(posts: Sequence[LabelledPost], *, fraction: float,
                seed: int) -> tuple[list[LabelledPost], list[LabelledPost]]:
    """(train, held out): `fraction` of each sentiment class held out, shuffled with `seed`,
    so a rare class is in both parts and the split is the same on every run."""
    if not 0 < fraction < 1:
        raise RetrainError("the held-out share must be between 0 and 1")
    strata: dict[str, list[LabelledPost]] = defaultdict(list)
    for post in posts:
        strata[f"{post.sentiment}/{post.need}" if post.sentiment is None else post.sentiment
               ].append(post)
    rng = random.Random(seed)
    train, held = [], []
    for name in sorted(strata):
        group = strata[name]
        rng.shuffle(group)
        cut = round(len(group) * fraction)
        held.extend(group[:cut])
        train.extend(group[cut:])
    return train, held


@dataclass(frozen=True, slots=True)
class Scores:
    """How often a model agreed with the held-out labels."""

    sentiment: Agreement
    need: Agreement | None

    def __str__(self) -> str:
        need = f", need {self.need}" if self.need is not None else ""
        return f"sentiment {self.sentiment}{need}"


def score(model: Path, held: Sequence[LabelledPost], *, quantize: bool | Literal["auto"],
          num_threads: int | None = None) -> Scores:
    """Agreement of the classifier at `model` with the held-out posts' labels."""
    from models.classifier import load_classifier

    # no topics are scored here: the one shared pass is enough
    classifier = load_classifier(model, quantize=quantize, num_threads=num_threads,
                                 topic_encoder="shared")
    said = classifier.predict_batch([p.text for p in held], [])
    sentiment = [(p.sentiment, s.sentiment) for p, s in zip(held, said, strict=True)
                 if p.sentiment is not None]
    need = [(p.need, s.need) for p, s in zip(held, said, strict=True) if p.need is not None]
    has_need = any(s.need is not None for s in said)
    return Scores(
        Agreement(sum(a == b for a, b in sentiment), len(sentiment)),
        Agreement(sum(a == b for a, b in need), len(need)) if need and has_need else None,
    )


def beats(new: Scores, current: Scores) -> bool:
    """Better on sentiment, and no worse on the need for a reply (when both say it)."""
    if new.sentiment.agree <= current.sentiment.agree:
        return False
    if current.need is not None:
        return new.need is not None and new.need.agree >= current.need.agree
    return True


@dataclass
class RetrainOptions:
    """How to fine-tune from labels; the defaults keep a run to minutes on a laptop."""

    heldout: float = 0.3
    seed: int = 0
    steps: int = 300
    batch_size: int = 16
    learning_rate: float = 3e-4
    #: each brand training row is seen this many times per pass (brand posts are few)
    repeat: int = 3
    #: public rows drawn per (repeated) brand row: 1 = half brand, half public
    public_share: float = 1.0
    anchor_weight: float = 0.3
    quantize: bool | Literal["auto"] = "auto"  # as [classifier] quantize
    num_threads: int | None = None
    min_posts: int = 30


@dataclass
class Outcome:
    """Both models' figures on the held-out labels, and where the new one went (if it did)."""

    current: Scores
    new: Scores
    version: str
    train_posts: int
    held_posts: int
    installed: Path | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class TrainingMix:
    """What one run trains on: sentiment rows and need rows, brand and public counted."""

    rows: list[LabelledText]
    need_rows: list[NeedExample]
    brand_rows: int
    public_rows: int


def build_rows(
    train: Sequence[LabelledPost], public: Sequence[LabelledText],
    public_need: Sequence[NeedExample], options: RetrainOptions,
) -> TrainingMix:
    """The brand's training posts, repeated, mixed with a seeded draw of public rows."""
    rng = random.Random(options.seed)
    brand = [LabelledText(p.text, SENTIMENTS.index(p.sentiment))
             for p in train if p.sentiment is not None] * options.repeat
    brand_need = [NeedExample(p.text, NEEDS.index(p.need))
                  for p in train if p.need is not None] * options.repeat
    drawn = rng.sample(list(public), min(len(public), round(len(brand) * options.public_share)))
    drawn_need = rng.sample(list(public_need),
                            min(len(public_need), round(len(brand_need) * options.public_share)))
    rows = brand + drawn
    rng.shuffle(rows)
    return TrainingMix(rows, brand_need + drawn_need, len(brand), len(drawn))


def retrain(
    posts: Sequence[LabelledPost], *, current: Path, install_to: Path, work_dir: Path,
    options: RetrainOptions, public: Sequence[LabelledText] = (),
    public_need: Sequence[NeedExample] = (),
) -> Outcome:
    """Fine-tune `current` on `posts` (+ public rows) and install it at `install_to` only if
    it `beats` `current` on the held-out posts; otherwise leave everything as it was."""
    from models.artefact import ArtefactConfig, ArtefactError
    from models.reply_need import HEAD_FILE
    from models.training import TrainingArguments, train_sentiment

    try:
        base = ArtefactConfig.load(current)
    except ArtefactError as exc:
        raise RetrainError(f"{exc}: only the project's own artefact can be fine-tuned from "
                           "labels") from None
    if sum(p.sentiment is not None for p in posts) < options.min_posts:
        raise RetrainError(f"{sum(p.sentiment is not None for p in posts)} posts have a "
                           f"sentiment label; at least {options.min_posts} are needed to "
                           "train on and to judge the result")
    train, held = split_posts(posts, fraction=options.heldout, seed=options.seed)
    mix = build_rows(train, public, public_need, options)
    if (current / HEAD_FILE).exists() and not mix.need_rows:
        raise RetrainError("the current model has a needs-a-reply head, and no need labels "
                           "or need data were given: training would lose it")
    previous = base.extra.get("training")
    targets = tuple(previous.get("target_modules", ())) if isinstance(previous, dict) else ()
    version = f"sentiment-labels-{datetime.now(UTC):%Y%m%d%H%M%S}"
    args = TrainingArguments(
        base_model=base.base_model, max_length=base.max_length, batch_size=options.batch_size,
        epochs=1000.0, max_steps=options.steps, learning_rate=options.learning_rate,
        warmup_steps=max(1, options.steps // 10), lora_r=base.lora_r,
        lora_alpha=base.lora_alpha, anchor_weight=options.anchor_weight,
        need_batch_size=options.batch_size, seed=options.seed,
        num_threads=options.num_threads, init_from=str(current), version=version,
        class_weights=_weights([r.label for r in mix.rows]),
    )
    if targets:  # the LoRA must sit on the modules the current adapter was trained on
        args = dataclasses.replace(args, target_modules=targets)
    candidate = work_dir / version
    try:
        config = train_sentiment(mix.rows, args, candidate, need_rows=mix.need_rows)
        config.extra["labels"] = {"train_posts": len(train), "held_posts": len(held),
                                  "brand_rows": mix.brand_rows, "public_rows": mix.public_rows,
                                  "seed": options.seed, "heldout": options.heldout,
                                  "init_from": str(current)}
        config.save(candidate)
        before = score(current, held, quantize=options.quantize,
                       num_threads=options.num_threads)
        after = score(candidate, held, quantize=options.quantize,
                      num_threads=options.num_threads)
        outcome = Outcome(before, after, version, len(train), len(held))
        if beats(after, before):
            _write_card(candidate, after, len(held))
            install(candidate, install_to)
            outcome.installed = install_to
            logger.info("installed %s at %s (%s; was %s)", version, install_to, after, before)
        return outcome
    finally:
        if candidate.exists():
            shutil.rmtree(candidate)


def _weights(labels: list[int]) -> tuple[float, float, float]:
    """Inverse-frequency loss weights; even ones when a class has no rows at all."""
    from models.training import parse_class_weights

    try:
        return parse_class_weights("balanced", labels)
    except ValueError:
        return (1.0, 1.0, 1.0)


def _write_card(folder: Path, scores: Scores, held: int) -> None:
    """The new artefact's figures are its agreement on the held-out labels: what
    `socialbot accuracy` compares later labels with."""
    source = f"{held} held-out posts labelled by the brand's people"
    (folder / "heldout_metrics.json").write_text(json.dumps(
        {"data": source, "rows": scores.sentiment.total,
         "accuracy": round(scores.sentiment.rate, 4)}, indent=2) + "\n")
    need = folder / "need_metrics.json"
    if scores.need is not None:
        need.write_text(json.dumps({"data": source, "rows": scores.need.total,
                                    "accuracy": round(scores.need.rate, 4)}, indent=2) + "\n")
    elif need.exists():
        need.unlink()


def install(candidate: Path, target: Path) -> None:
    """Put `candidate` at `target`, keeping what was there as `<target>.previous`.

    The new folder is copied next to the target first and swapped in by renames, so a
    crash leaves either the old model or the new one in place, never half of each.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".new")
    if staged.exists():
        shutil.rmtree(staged)
    shutil.copytree(candidate, staged)
    previous = target.with_name(target.name + ".previous")
    if target.exists():
        if previous.exists():
            shutil.rmtree(previous)
        target.rename(previous)
    staged.rename(target)
