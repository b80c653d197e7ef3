"""Fine-tune the classifier: a LoRA adapter plus the sentiment head (and the need head).

The loss is weighted cross-entropy on the sentiment head plus an *anchor* term
that keeps the mean-pooled embedding close to the frozen base encoder's, so the
few-shot topic scorer keeps working on the same forward pass. Given need rows
(complaint / question / none), each step also takes a batch of them through the
same encoder into the need head, so the encoder learns what a frozen one cannot
tell apart: praise that names an order from a complaint about it.
"""

from __future__ import annotations

import logging
import math
import random
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from models.artefact import PACKAGED_ENCODER, ArtefactConfig, lora_state, resolve_base_model
from models.datasets import LabelledText
from models.heads import SentimentHead, pad_right, pool
from models.reply_need import (
    HEAD_FILE,
    NEEDS,
    NeedExample,
    ReplyNeedHead,
    balance_addressing,
    class_weights,
    rows_per_label,
    save_head_weights,
)
from models.text import normalise_text
from models.topic_projection import MIN_PROJECTION_POSTS, PROJECTION_FILE, fit_for_artefact
from socialbot.domain import SENTIMENTS

logger = logging.getLogger(__name__)

#: Called after each optimiser step with (step, total_steps, latest metrics).
ProgressCallback = Callable[[int, int, dict[str, float]], None]


def parse_class_weights(spec: str, labels: Sequence[int]) -> tuple[float, float, float]:
    """Loss weights from "neg,neu,pos" or "balanced" (inverse frequency of `labels`).

    Balanced weights are scaled to average 1, so the learning rate means the same thing
    whatever the mix: SemEval's 1.6/0.8/1.0 leaves a model that calls too much negative
    on data with fewer negatives, like Reddit comments.
    """
    if spec.strip().lower() == "balanced":
        counts = [sum(1 for label in labels if label == i) for i in range(len(SENTIMENTS))]
        if not all(counts):
            raise ValueError("balanced class weights need rows of every sentiment")
        raw = [len(labels) / (len(counts) * c) for c in counts]
        mean = sum(raw) / len(raw)
        return (raw[0] / mean, raw[1] / mean, raw[2] / mean)
    try:
        parts = [float(x) for x in spec.split(",")]
    except ValueError:
        raise ValueError(f"class weights {spec!r}: expected 'balanced' or three numbers "
                         "like 1.6,0.8,1.0") from None
    if len(parts) != 3:
        raise ValueError(f"class weights {spec!r}: expected three numbers (negative, "
                         "neutral, positive)")
    return (parts[0], parts[1], parts[2])


@dataclass(slots=True)
class TrainingArguments:
    """Hyper-parameters for `train_sentiment`; checked when built."""

    base_model: str = PACKAGED_ENCODER
    max_length: int = 64
    batch_size: int = 32
    epochs: float = 1.0
    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    warmup_steps: int = 200
    class_weights: tuple[float, float, float] = (1.6, 0.8, 1.0)
    label_smoothing: float = 0.0
    lora_r: int = 16
    lora_alpha: float = 32.0
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("query", "key", "value", "dense")
    anchor_weight: float = 1.0
    need_weight: float = 1.0  # of the need head's loss, when need rows are given
    need_batch_size: int = 16  # need rows per step, beside `batch_size` sentiment rows
    #: need rows addressed to someone ("@user ...") or not by a coin toss, so being
    #: addressed carries no signal (`models.reply_need.balance_addressing`)
    need_balance_addressing: bool = False
    seed: int = 0
    num_threads: int | None = None
    checkpoint_every: int = 0  # steps between interim saves; 0 = only at the end
    max_steps: int | None = None
    init_from: str | None = None  # an artefact folder to continue from (adapter + head)
    # to the minute: predictions record it, and two models trained one day must differ
    version: str = field(
        default_factory=lambda: f"sentiment-{datetime.now(timezone.utc):%Y%m%d%H%M}"
    )

    def __post_init__(self) -> None:
        checks = [
            (self.max_length >= 8, "max_length must be at least 8"),
            (self.batch_size >= 1, "batch_size must be positive"),
            (self.epochs > 0, "epochs must be positive"),
            (0 < self.learning_rate < 1, "learning_rate must be in (0, 1)"),
            (self.weight_decay >= 0, "weight_decay must be >= 0"),
            (self.warmup_steps >= 0, "warmup_steps must be >= 0"),
            (len(self.class_weights) == 3, "class_weights needs one weight per sentiment"),
            (all(w > 0 for w in self.class_weights), "class_weights must be positive"),
            (0 <= self.label_smoothing < 1, "label_smoothing must be in [0, 1)"),
            (self.lora_r >= 1, "lora_r must be positive"),
            (self.lora_alpha > 0, "lora_alpha must be positive"),
            (0 <= self.lora_dropout < 1, "lora_dropout must be in [0, 1)"),
            (bool(self.target_modules), "target_modules must name at least one module"),
            (self.anchor_weight >= 0, "anchor_weight must be >= 0"),
            (self.need_weight >= 0, "need_weight must be >= 0"),
            (self.need_batch_size >= 1, "need_batch_size must be positive"),
            (self.num_threads is None or self.num_threads >= 1, "num_threads must be positive"),
            (self.checkpoint_every >= 0, "checkpoint_every must be >= 0"),
            (self.max_steps is None or self.max_steps >= 1, "max_steps must be positive"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


def make_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random, *, chunk: int = 50
) -> list[list[int]]:
    """Shuffle, sort by length inside chunks of `chunk` batches, then shuffle the batches.

    Similar lengths share a batch (little padding) while batch order stays random.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    span = batch_size * chunk
    for start in range(0, len(order), span):
        part = sorted(order[start : start + span], key=lengths.__getitem__)
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def _continue_from(
    folder: Path, model: nn.Module, head: nn.Module, args: TrainingArguments,
    need_head: nn.Module | None = None,
) -> None:
    """Load a saved adapter and heads, e.g. to anneal an interrupted run."""
    from safetensors.torch import load_file

    saved = ArtefactConfig.load(folder)
    if (saved.lora_r, saved.lora_alpha) != (args.lora_r, args.lora_alpha):
        raise ValueError(f"{folder}: LoRA r/alpha {saved.lora_r}/{saved.lora_alpha} differ")
    adapter = load_file(str(folder / "adapter.safetensors"))
    params = dict(model.named_parameters())
    for key, value in adapter.items():
        module, which = key.rsplit(".lora_", 1)
        name = f"base_model.model.{module}.lora_{which}.default.weight"
        if name not in params:
            raise ValueError(f"{folder}: adapter entry {key!r} has no place in this model")
        with torch.no_grad():
            params[name].copy_(value)
    head.load_state_dict(load_file(str(folder / "head.safetensors")))
    if need_head is not None and (folder / HEAD_FILE).exists():
        need_head.load_state_dict(load_file(str(folder / HEAD_FILE)))


class _NeedTask:
    """The need head's side of a joint run: its rows, their batches, the head and its loss.

    Each step takes `need_batch_size` rows through the same encoder as the sentiment
    batch, so the encoder learns what a frozen one cannot tell apart.
    """

    def __init__(self, rows: Sequence[NeedExample], tokenizer: Any, hidden: int,
                 args: TrainingArguments, rng: random.Random) -> None:
        self.head = ReplyNeedHead(hidden)
        self.rows = len(rows)
        self.labels = torch.tensor([r.label for r in rows], dtype=torch.long)
        texts = [normalise_text(r.text) for r in rows]
        if args.need_balance_addressing:
            texts = balance_addressing(texts, random.Random(args.seed))
        self.encoded = tokenizer(texts, truncation=True, max_length=args.max_length)["input_ids"]
        self.pad_id = tokenizer.pad_token_id
        self.batches = _endless_batches([len(e) for e in self.encoded], args.need_batch_size,
                                        rng)
        self.loss_fn = nn.CrossEntropyLoss(weight=class_weights(self.labels))

    def loss(self, model: nn.Module) -> torch.Tensor:
        picked = next(self.batches)
        ids, mask = pad_right([self.encoded[i] for i in picked], self.pad_id)
        cls, mean = pool(model(input_ids=ids, attention_mask=mask).last_hidden_state, mask)
        return self.loss_fn(self.head(cls, mean), self.labels[picked])

    def meta(self, args: TrainingArguments) -> dict[str, object]:
        """How the head was made, for ``classifier.json``."""
        return {"labels": list(NEEDS), "rows": self.rows,
                "rows_per_label": rows_per_label(self.labels.tolist()),
                "training": {"encoder": "trained with the sentiment head (joint)",
                             "need_weight": args.need_weight,
                             "need_batch_size": args.need_batch_size,
                             "balance_addressing": args.need_balance_addressing,
                             "class_weights": "inverse frequency"}}


def _endless_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random
) -> Iterator[list[int]]:
    """Length-bucketed batches of a small set, reshuffled each time it runs out."""
    while True:
        yield from make_batches(lengths, batch_size, rng)


def train_sentiment(
    rows: Sequence[LabelledText],
    args: TrainingArguments,
    output_dir: str | Path,
    *,
    need_rows: Sequence[NeedExample] = (),
    progress: ProgressCallback | None = None,
) -> ArtefactConfig:
    """Fine-tune on `rows` and write the artefact to `output_dir`; return its config.

    With `need_rows` the need head is trained too, on the same encoder, and saved
    beside the sentiment head.
    """
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import save_file
    from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

    from models.hf_loading import load_pretrained

    if not rows:
        raise ValueError("no training rows")
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    if args.num_threads:
        torch.set_num_threads(args.num_threads)

    base_dir = resolve_base_model(args.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    encoder = load_pretrained(AutoModel, base_dir, add_pooling_layer=False)
    hidden = int(encoder.config.hidden_size)  # encoder is Any: transformers is untyped here
    peft_config = LoraConfig(
        r=args.lora_r,
        lora_alpha=args.lora_alpha,  # type: ignore[arg-type]  # a float works
        lora_dropout=args.lora_dropout,
        target_modules=list(args.target_modules),
    )
    with warnings.catch_warnings():
        # peft probes a deprecated transformers property; nothing for us to change.
        warnings.simplefilter("ignore", FutureWarning)
        model = get_peft_model(encoder, peft_config)
    head = SentimentHead(hidden)
    need = _NeedTask(need_rows, tokenizer, hidden, args, rng) if need_rows else None
    if args.init_from:
        _continue_from(Path(args.init_from), model, head, args,
                       need.head if need is not None else None)

    texts = [normalise_text(r.text) for r in rows]
    encoded = tokenizer(texts, truncation=True, max_length=args.max_length)["input_ids"]
    labels = torch.tensor([r.label for r in rows])
    steps_per_epoch = math.ceil(len(rows) / args.batch_size)
    total = math.ceil(steps_per_epoch * args.epochs)
    if args.max_steps:
        total = min(total, args.max_steps)

    params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    if need is not None:
        params += list(need.head.parameters())
    optimiser = torch.optim.AdamW(params, lr=args.learning_rate, weight_decay=args.weight_decay)
    # linear warm-up (at most a tenth of the run), then linear decay to zero
    schedule = get_linear_schedule_with_warmup(
        optimiser, min(args.warmup_steps, max(total // 10, 1)), total)
    loss_fn = nn.CrossEntropyLoss(
        weight=torch.tensor(args.class_weights), label_smoothing=args.label_smoothing
    )
    config = ArtefactConfig(
        version=args.version,
        base_model=args.base_model,
        max_length=args.max_length,
        lora_r=args.lora_r,
        lora_alpha=args.lora_alpha,
        hidden_size=hidden,
        extra={"training": {k: v for k, v in asdict(args).items() if k != "version"}},
    )

    if need is not None:
        config.extra["reply_need"] = need.meta(args)

    def save() -> None:
        config.extra["steps"] = step
        save_file(lora_state(model), str(output / "adapter.safetensors"))
        save_file({k: v.contiguous() for k, v in head.state_dict().items()},
                  str(output / "head.safetensors"))
        if need is not None:
            save_head_weights(output, need.head)
        elif (output / HEAD_FILE).exists():  # a stale head would not match this encoder
            (output / HEAD_FILE).unlink()
        # nor would a projection fitted to another encoder; the final one is fitted below
        (output / PROJECTION_FILE).unlink(missing_ok=True)
        config.save(output)

    model.train()
    head.train()
    if need is not None:
        need.head.train()
    step, started = 0, time.monotonic()
    running = {"loss": 0.0, "anchor": 0.0, "need": 0.0, "accuracy": 0.0}
    while step < total:
        for batch in make_batches([len(e) for e in encoded], args.batch_size, rng):
            if step >= total:
                break
            ids, mask = pad_right([encoded[i] for i in batch], tokenizer.pad_token_id)
            out = model(input_ids=ids, attention_mask=mask).last_hidden_state
            cls, mean = pool(out, mask)
            logits = head(cls, mean)
            target = labels[batch]
            loss = loss_fn(logits, target)
            anchor = torch.zeros(())
            if args.anchor_weight > 0:
                with torch.no_grad(), model.disable_adapter():
                    _, teacher = pool(model(input_ids=ids, attention_mask=mask).last_hidden_state,
                                      mask)
                anchor = (1 - nn.functional.cosine_similarity(mean, teacher, dim=-1)).mean()
                loss = loss + args.anchor_weight * anchor
            need_loss = torch.zeros(())
            if need is not None:
                need_loss = need.loss(model)
                loss = loss + args.need_weight * need_loss
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            accuracy = (logits.argmax(-1) == target).float().mean().item()
            for key, value in (("loss", loss.item()), ("anchor", anchor.item()),
                               ("need", need_loss.item()), ("accuracy", accuracy)):
                running[key] = 0.98 * running[key] + 0.02 * value if step > 1 else value
            if progress:
                progress(step, total, dict(running))
            if step % 100 == 0 or step == total:
                logger.info("step %d/%d loss %.4f anchor %.4f need %.4f acc %.3f (%.0fs)", step,
                            total, running["loss"], running["anchor"], running["need"],
                            running["accuracy"],
                            time.monotonic() - started)
            if args.checkpoint_every and step % args.checkpoint_every == 0:
                save()
    config.extra["train_seconds"] = round(time.monotonic() - started)
    config.extra["train_rows"] = len(rows)
    save()
    if len(rows) >= MIN_PROJECTION_POSTS:
        # the encoder moved: topics scored in one pass need a map fitted to it
        fit_for_artefact(output, [r.text for r in rows], seed=args.seed,
                         data=["this run's training rows"])
        return ArtefactConfig.load(output)
    return config
