"""Reply fine-tuning: pair loading, splitting, argument checks, ROUGE-L, and a tiny real run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from models.generator import ReplyGenerator
from models.reply_data import load_pairs, split_pairs
from models.reply_training import TrainingArguments, train_replies
from models.rouge import lcs_length, mean_rouge_l, rouge_l
from socialbot.drafting.guardrails import check
from tests.models.tiny_causal_lm import save_tiny_llama

SHARED_REPLIES = Path(__file__).resolve().parents[3] / "shared" / "data" / "replies"


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("prediction", "reference", "expected"),
    [
        ("please dm us", "please dm us", 1.0),
        ("", "please dm us", 0.0),
        ("totally different words", "please dm us", 0.0),
        # LCS "police killed the gunman" = 3 of 4 words each way -> F1 0.75 (Lin 2004)
        ("police killed the gunman", "police kill the gunman", 0.75),
        ("Sorry! DM us, please.", "sorry dm us please", 1.0),
    ],
)
def test_rouge_l(prediction: str, reference: str, expected: float) -> None:
    assert rouge_l(prediction, reference) == pytest.approx(expected)


def test_lcs_is_a_subsequence_not_a_substring() -> None:
    assert lcs_length(["a", "b", "c", "d", "e"], ["a", "x", "c", "y", "e"]) == 3
    assert mean_rouge_l(["a b", "c"], ["a b", "d"]) == pytest.approx(0.5)


def test_pairs_from_csv_and_jsonl(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "ibm.csv",
        [
            {
                "sessionID": "s1",
                "company": "AcmeHelp",
                "customer_context": "@AcmeHelp it broke ||| @jane which model? ||| the X1 &amp; X2",
                "brand_reply": "@jane @AcmeHelp Thanks! Try this: https://help.acme.com/x1",
            },
            {"sessionID": "s2", "company": "AcmeHelp", "customer_context": "", "brand_reply": "x"},
        ],
    )
    (tmp_path / "more.jsonl").write_text(
        json.dumps({"post": "@Parcelly late again", "reply": "Sorry! DM us."}) + "\n"
    )
    pairs = load_pairs([tmp_path])
    assert len(pairs) == 2  # the row without a post is skipped
    first, second = pairs
    assert first.post == "the X1 & X2"
    assert first.thread == ("@AcmeHelp it broke", "@jane which model?")
    assert first.reply == "Thanks! Try this: https://help.acme.com/x1"
    assert first.voice().name == "AcmeHelp"
    assert first.voice().allowed_links == ("https://help.acme.com/x1",)
    assert second.brand == "Parcelly" and second.reply == "Sorry! DM us."


def test_unknown_columns_are_a_clear_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [{"question": "q", "answer": "a"}])
    with pytest.raises(ValueError, match="no post column"):
        load_pairs([path])


def test_split_keeps_conversations_on_one_side(tmp_path: Path) -> None:
    rows = [
        {"sessionID": f"s{i // 3}", "customer_context": f"post {i}", "brand_reply": f"reply {i}"}
        for i in range(30)
    ]
    pairs = load_pairs([write_csv(tmp_path / "p.csv", rows)])
    train, held_out = split_pairs(pairs, held_out=6, seed=1)
    assert len(train) + len(held_out) == 30 and len(held_out) == 6
    assert not {p.group for p in train} & {p.group for p in held_out}
    assert split_pairs(pairs, held_out=6, seed=1) == (train, held_out)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", 0, "epochs"),
        ("learning_rate", 2.0, "learning_rate"),
        ("batch_size", 0, "batch_size"),
        ("max_length", 8, "max_length"),
        ("lora_dropout", 1.0, "lora_dropout"),
        ("target_modules", (), "target_modules"),
        ("data", (), "data"),
    ],
)
def test_training_arguments_validate_themselves(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainingArguments(**{field: value})  # type: ignore[arg-type]


def test_tiny_run_learns_the_replies_and_writes_a_card(tmp_path: Path) -> None:
    base = save_tiny_llama(tmp_path / "tiny")
    rows = [
        {
            "company": "Parcelly",
            "customer_context": f"@Parcelly parcel {i} never arrived",
            "brand_reply": "Sorry to hear your parcel is late, please DM us.",
        }
        for i in range(40)
    ]
    data = write_csv(tmp_path / "pairs.csv", rows)
    output = tmp_path / "adapter"
    args = TrainingArguments(
        data=(str(data),), output_dir=str(output), base=str(base), epochs=6,
        learning_rate=2e-2, batch_size=8, held_out=4, eval_max_new_tokens=16, lora_r=8,
        lora_alpha=16, command="pytest",
    )
    steps: list[int] = []

    def passes(draft: str, request: object, voice: object) -> bool:
        return not check(draft, post_text="", platform="twitter", voice=voice)  # type: ignore[arg-type]

    report = train_replies(args, guardrail=passes, progress=lambda s, t, loss: steps.append(s))

    assert steps == list(range(1, report.steps + 1)) and report.steps == 6 * 5
    assert report.after.rouge_l > report.before.rouge_l + 0.3
    assert report.after.guardrail_pass_rate is not None
    for name in ("adapter_config.json", "adapter_model.safetensors", "README.md", "metrics.json"):
        assert (output / name).is_file()
    card = (output / "README.md").read_text()
    assert f"{report.after.rouge_l:.4f}" in card and "pytest" in card
    config = json.loads((output / "adapter_config.json").read_text())
    assert str(tmp_path) not in config["base_model_name_or_path"]
    # the saved adapter, merged at load, drafts what the run measured
    generator = ReplyGenerator.load(base, adapter=output, device="cpu")
    metrics = json.loads((output / "metrics.json").read_text())
    example = metrics["after"]["examples"][0]
    pair = next(p for p in load_pairs([data]) if p.post == example["post"])
    assert generator.generate(
        [pair.request()], voice=pair.voice(), temperature=0, max_new_tokens=16
    ) == [example["draft"]]


@pytest.mark.skipif(not SHARED_REPLIES.is_dir(), reason="shared reply data not present")
def test_shared_reply_data_loads() -> None:
    pairs = load_pairs([SHARED_REPLIES])
    assert len(pairs) > 500
    assert all(p.post and p.reply and not p.reply.startswith("@") for p in pairs)


def test_reply_only_logits_give_the_full_models_loss(tmp_path: Path) -> None:
    """Computing logits only where replies are is a speed-up, not a different loss."""
    import torch
    from transformers import AutoModelForCausalLM

    from models.reply_training import _reply_loss

    folder = save_tiny_llama(tmp_path / "tiny")
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    batch = [([5, 6, 7, 8, 9, 10], [-100, -100, -100, -100, 9, 10]),
             ([11, 12, 13, 14], [-100, -100, 13, 14]),
             ([20, 21, 22, 23, 24, 25, 26, 27], [-100] * 5 + [25, 26, 27])]
    expected = []
    for ids, labels in batch:  # one unpadded row at a time: HF's own shifted loss
        out = model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels]))
        expected.append((out.loss * sum(t != -100 for t in labels)).item())
    tokens = sum(sum(t != -100 for t in labels) for _, labels in batch)
    with torch.no_grad():
        got = _reply_loss(model, batch, pad_id=0).item()
    assert got == pytest.approx(sum(expected) / tokens, rel=1e-4)


def test_a_base_without_chat_template_gets_the_turn_format(tmp_path: Path) -> None:
    """A pretrained Gemma-style base ships no template: drafting builds Gemma's turns and
    stops at end-of-turn; a tokenizer with neither is refused with a clear error."""
    from transformers import AutoTokenizer

    from models.generator import load_tokenizer
    from socialbot.errors import GeneratorError

    folder = save_tiny_llama(tmp_path / "tiny")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.chat_template = None
    tokenizer.save_pretrained(folder)
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    with pytest.raises(GeneratorError, match="no chat template"):
        load_tokenizer(folder)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<start_of_turn>",
                                                                "<end_of_turn>"]})
    tokenizer.save_pretrained(folder)
    turned = load_tokenizer(folder)
    text = turned.apply_chat_template(
        [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hi"}],
        tokenize=False, add_generation_prompt=True)
    assert text.endswith("<start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n")
    assert "<start_of_turn>system\nBe kind.<end_of_turn>" in text
    assert turned.eos_token == "<end_of_turn>"
