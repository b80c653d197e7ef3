"""Fine-tune the reply generator with LoRA on post -> brand-reply pairs, and write its card.

The loop is plain PyTorch (no Trainer): length-sorted batches, loss on reply tokens only,
AdamW with linear warm-up and decay. Held-out pairs are scored before and after training
with greedy decoding, so the card compares the base model and the adapter on equal terms.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.generator import (
    BASE_NAME,
    ReplyGenerator,
    adapter_digest,
    converted_base,
    load_tokenizer,
    peft_compat,
    resolve_gguf,
)
from models.reply_card import write_card
from models.reply_data import ReplyPair, load_pairs, split_pairs
from models.rouge import mean_rouge_l
from socialbot.domain import BrandVoice, DraftRequest

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

DEFAULT_DATA = ("../shared/data/replies",)
#: Decides whether a draft passes the guardrails; the core passes its own check in,
#: because `models` does not import the core's policy code.
GuardrailCheck = Callable[[str, DraftRequest, BrandVoice], bool]
#: Called after every optimiser step with (step, total_steps, loss).
ProgressCallback = Callable[[int, int, float], None]


@dataclass
class TrainingArguments:
    """Everything a reply fine-tuning run depends on; validates itself on creation."""

    data: tuple[str, ...] = DEFAULT_DATA
    output_dir: str = "models/reply-smollm2"
    base: str | None = None  # None: the packaged SmolLM2 GGUF
    epochs: float = 1.0
    learning_rate: float = 5e-4
    batch_size: int = 8
    max_length: int = 320
    max_train_pairs: int = 400
    held_out: int = 60
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    warmup_ratio: float = 0.1
    eval_max_new_tokens: int = 60
    eval_batch_size: int = 8
    #: score the bare base on the held-out pairs too (a pretrained base without the
    #: reply format only rambles, and on CPU that costs as long as the training)
    base_eval: bool = True
    seed: int = 0
    threads: int = 2
    command: str = ""  # the command line that started the run, for the card

    def __post_init__(self) -> None:
        self.data = tuple(str(p) for p in self.data)
        self.target_modules = tuple(self.target_modules)
        problems = []
        if not self.data:
            problems.append("data: give at least one file or folder")
        if self.epochs <= 0:
            problems.append("epochs must be > 0")
        if not 0 < self.learning_rate < 1:
            problems.append("learning_rate must be in (0, 1)")
        for name in ("batch_size", "max_train_pairs", "lora_r", "lora_alpha", "threads"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        if self.max_length < 32:
            problems.append("max_length must be at least 32 tokens")
        if self.held_out < 0 or self.eval_max_new_tokens < 1 or self.eval_batch_size < 1:
            problems.append("held_out must be >= 0, eval sizes >= 1")
        if not 0 <= self.lora_dropout < 1 or not 0 <= self.warmup_ratio < 1:
            problems.append("lora_dropout and warmup_ratio must be in [0, 1)")
        if not self.target_modules:
            problems.append("target_modules must name at least one module")
        if problems:
            raise ValueError("invalid training arguments: " + "; ".join(problems))


@dataclass
class HeldOutFigures:
    """How a generator does on the held-out pairs (greedy decoding)."""

    rouge_l: float
    guardrail_pass_rate: float | None
    mean_length: float
    pairs: int
    seconds: float
    examples: list[dict[str, str]] = field(default_factory=list)


@dataclass
class TrainingReport:
    arguments: dict[str, Any]
    train_pairs: int
    skipped_too_long: int
    steps: int
    final_loss: float
    train_seconds: float
    before: HeldOutFigures | None  # None when the base was not scored
    after: HeldOutFigures
    version: str


def evaluate(
    generator: ReplyGenerator,
    pairs: Sequence[ReplyPair],
    *,
    guardrail: GuardrailCheck | None = None,
    max_new_tokens: int = 60,
    batch_size: int = 8,
) -> HeldOutFigures:
    """Draft a reply to every pair greedily; score ROUGE-L, guardrail pass rate, length.

    Every draft is kept in `examples`, so figures can be re-checked from metrics.json.
    """
    started = time.monotonic()
    drafts = generator.generate(
        [p.request() for p in pairs],
        voice=[p.voice() for p in pairs],
        temperature=0,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
    )
    passed = None
    if guardrail is not None and pairs:
        ok = [guardrail(d, p.request(), p.voice()) for d, p in zip(drafts, pairs, strict=True)]
        passed = sum(ok) / len(ok)
    return HeldOutFigures(
        rouge_l=mean_rouge_l(drafts, [p.reply for p in pairs]),
        guardrail_pass_rate=passed,
        mean_length=sum(map(len, drafts)) / max(len(drafts), 1),
        pairs=len(pairs),
        seconds=time.monotonic() - started,
        examples=[
            {"post": p.post, "reference": p.reply, "draft": d}
            for p, d in zip(pairs, drafts, strict=True)
        ],
    )


def train_replies(
    args: TrainingArguments,
    *,
    guardrail: GuardrailCheck | None = None,
    progress: ProgressCallback | None = None,
    cache_dir: str | Path | None = None,
) -> TrainingReport:
    """Fine-tune a LoRA adapter, save it and its card to `args.output_dir`, and report.

    Held-out pairs are scored with the base model first and the merged adapter after,
    with the same prompts and greedy decoding.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    pairs = load_pairs(args.data)
    train, held_out = split_pairs(pairs, held_out=args.held_out, seed=args.seed)
    gguf = resolve_gguf(args.base, cache_dir)
    base_dir = converted_base(gguf, cache_dir=cache_dir) if gguf else Path(str(args.base))
    base_name = BASE_NAME if args.base is None else Path(gguf or str(args.base)).stem
    tokenizer = load_tokenizer(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)

    def judge(generator: ReplyGenerator) -> HeldOutFigures:
        return evaluate(generator, held_out, guardrail=guardrail,
                        max_new_tokens=args.eval_max_new_tokens,
                        batch_size=args.eval_batch_size)

    generator = ReplyGenerator(model, tokenizer, version=base_name)  # also its chat template
    before = None
    if args.base_eval:
        before = judge(generator)
        logger.info("base model on %d held-out pairs: ROUGE-L %.4f", len(held_out),
                    before.rouge_l)

    examples, skipped = encode_pairs(generator, train, max_length=args.max_length)
    random.Random(args.seed).shuffle(examples)
    examples = examples[: args.max_train_pairs]

    lora = LoraConfig(
        r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules=list(args.target_modules),
        task_type="CAUSAL_LM",
    )
    with peft_compat():
        peft_model = get_peft_model(model, lora)
    started = time.monotonic()
    steps, final_loss = _train_loop(peft_model, examples, args, tokenizer.pad_token_id, progress)
    train_seconds = time.monotonic() - started

    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    peft_model.save_pretrained(str(output))
    _neutral_base_path(output / "adapter_config.json", base_name)
    merged: Any = peft_model.merge_and_unload()
    version = f"{base_name}+{output.name}@{adapter_digest(output)}"
    after = judge(ReplyGenerator(merged, tokenizer, version=version))
    logger.info("adapter on %d held-out pairs: ROUGE-L %.4f", len(held_out), after.rouge_l)
    report = TrainingReport(
        arguments=asdict(args),
        train_pairs=len(examples),
        skipped_too_long=skipped,
        steps=steps,
        final_loss=final_loss,
        train_seconds=train_seconds,
        before=before,
        after=after,
        version=version,
    )
    (output / "metrics.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    write_card(output / "README.md", report)
    return report


def encode_pairs(
    generator: ReplyGenerator, pairs: Sequence[ReplyPair], *, max_length: int
) -> tuple[list[tuple[list[int], list[int]]], int]:
    """Token ids and labels per pair; labels are -100 on the prompt so only replies teach.

    Pairs longer than `max_length` are skipped rather than cut: a reply cut short would
    teach the model to stop mid-sentence. Returns the examples and how many were skipped.
    """
    tokenizer = generator.tokenizer
    end = tokenizer.eos_token or ""
    examples = []
    skipped = 0
    for pair in pairs:
        prompt = tokenizer(
            generator.prompt_text(pair.request(), pair.voice()), add_special_tokens=False
        )["input_ids"]
        reply = tokenizer(pair.reply + end, add_special_tokens=False)["input_ids"]
        if len(prompt) + len(reply) > max_length:
            skipped += 1
            continue
        examples.append((prompt + reply, [-100] * len(prompt) + reply))
    return examples, skipped


def _train_loop(
    model: torch.nn.Module,
    examples: list[tuple[list[int], list[int]]],
    args: TrainingArguments,
    pad_id: int,
    progress: ProgressCallback | None,
) -> tuple[int, float]:
    import torch
    from transformers import get_linear_schedule_with_warmup

    rng = random.Random(args.seed)
    batches = _length_batches(examples, args.batch_size)
    total = max(1, math.ceil(len(batches) * args.epochs))
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=args.learning_rate, weight_decay=0.0
    )
    schedule = get_linear_schedule_with_warmup(optimizer, max(1, int(total * args.warmup_ratio)),
                                               total)
    model.train()
    step, smoothed = 0, float("nan")
    while step < total:
        rng.shuffle(batches)
        for batch in batches:
            if step >= total:
                break
            loss = _reply_loss(model, batch, pad_id)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            value = float(loss.detach())
            smoothed = value if math.isnan(smoothed) else 0.9 * smoothed + 0.1 * value
            if progress is not None:
                progress(step, total, smoothed)
    model.eval()
    return step, smoothed


def _length_batches(
    examples: list[tuple[list[int], list[int]]], batch_size: int
) -> list[list[tuple[list[int], list[int]]]]:
    ordered = sorted(examples, key=lambda e: len(e[0]))
    return [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]


def _collate(
    batch: list[tuple[list[int], list[int]]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Left-padded (ids, labels, mask): every row's reply ends in the last column."""
    import torch

    width = max(len(ids) for ids, _ in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, (tokens, targets) in enumerate(batch):
        ids[row, width - len(tokens):] = torch.tensor(tokens)
        labels[row, width - len(targets):] = torch.tensor(targets)
        mask[row, width - len(tokens):] = 1
    return ids, labels, mask


def _reply_loss(
    model: torch.nn.Module, batch: list[tuple[list[int], list[int]]], pad_id: int
) -> torch.Tensor:
    """Mean cross-entropy over the reply tokens, with logits only where replies are.

    Left padding puts every reply in the last columns, so the LM head (a [hidden x
    vocab] product per position: 262k columns for Gemma 3) runs on those columns
    alone instead of on every prompt token whose loss is masked anyway.
    """
    import torch

    ids, labels, mask = _collate(batch, pad_id)
    has_label = (labels != -100).any(0).nonzero()
    first = max(1, int(has_label[0])) if len(has_label) else ids.shape[1] - 1
    keep = ids.shape[1] - first + 1  # the position before the first reply token predicts it
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions,
                   logits_to_keep=keep).logits
    targets = labels[:, -(keep - 1):] if keep > 1 else labels[:, :0]
    return torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]).float(), targets.reshape(-1),
        ignore_index=-100)


def _neutral_base_path(config_path: Path, base_name: str) -> None:
    """Replace the local cache path peft records with the base's name (no machine paths)."""
    config = json.loads(config_path.read_text())
    config["base_model_name_or_path"] = base_name
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
