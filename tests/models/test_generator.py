"""The reply generator on a tiny random Llama, and (slow) on the packaged SmolLM2 GGUF."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from models.decoding import PrefixCache, Sampling, common_prefix_length, decode
from models.generator import (
    GeneratorError,
    ReplyGenerator,
    converted_base,
    packaged_gguf,
    peft_compat,
)
from models.prompting import BrandVoice, DraftRequest
from tests.models.tiny_causal_lm import save_tiny_llama

torch = pytest.importorskip("torch")

VOICE = BrandVoice(
    name="Parcelly",
    tone="warm and brief",
    sign_off="^Parcelly team",
    facts=("Deliveries run Monday to Saturday.",),
    allowed_links=("https://help.parcelly.com",),
)
REQUESTS = [
    DraftRequest(text="My parcel never arrived", author="jane", sentiment="negative"),
    DraftRequest(
        text="Still waiting, this is the third time I ask about parcel PX1234 and nobody answers",
        author="sam",
        thread=("Where is my parcel?", "Sorry Sam, can you DM us the number?"),
        topics=("delivery", "support"),
    ),
    DraftRequest(text="Thanks, it came today!", sentiment="positive", platform="reddit"),
]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="module")
def tiny(tiny_dir: Path) -> ReplyGenerator:
    return ReplyGenerator.load(tiny_dir, adapter=None, device="cpu")


def test_batched_left_padded_greedy_equals_one_at_a_time(tiny: ReplyGenerator) -> None:
    batched = tiny.generate(REQUESTS, voice=VOICE, temperature=0, max_new_tokens=12, batch_size=3)
    single = [
        tiny.generate([r], voice=VOICE, temperature=0, max_new_tokens=12)[0] for r in REQUESTS
    ]
    assert batched == single
    assert all(batched)
    assert tiny.tokenizer.padding_side == "left"


def _prompt_ids(gen: ReplyGenerator) -> list[list[int]]:
    return [
        gen.tokenizer(gen.prompt_text(r, VOICE), add_special_tokens=False)["input_ids"]
        for r in REQUESTS[:2]  # both on twitter: one system message, a shared prefix
    ]


def test_batched_decoding_matches_transformers_generate_row_by_row(tiny: ReplyGenerator) -> None:
    """The shared-prefix, retire-when-done decoder writes what `generate` writes alone,
    also when one row ends (eos) many steps before the other."""
    prompts = _prompt_ids(tiny)
    assert common_prefix_length(prompts) > 40  # the system message is shared
    never = Sampling(max_new_tokens=16, eos_token_id=-1, temperature=0)
    free = decode(tiny.model, prompts, prefixes=PrefixCache(tiny.model), sampling=never,
                  pad_token_id=0)
    eos = free[0][3]  # row 0 ends at its 4th token; row 1 must run on unaffected
    sampling = Sampling(max_new_tokens=16, eos_token_id=eos, temperature=0)
    batched = decode(tiny.model, prompts, prefixes=PrefixCache(tiny.model), sampling=sampling,
                     pad_token_id=0)
    for prompt, ours in zip(prompts, batched, strict=True):
        with torch.inference_mode():
            out = tiny.model.generate(
                torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                max_new_tokens=16, do_sample=False, eos_token_id=eos, pad_token_id=0,
                temperature=None, top_p=None, top_k=None,
            )[0, len(prompt):].tolist()
        assert ours == [t for t in out if t != eos][: len(ours)] and eos not in ours
        assert len(ours) == (out.index(eos) if eos in out else 16)
    assert len(batched[0]) == 3 and len(batched[1]) > 3


def test_a_row_that_meets_its_stop_ends_there_and_the_other_runs_on(tiny: ReplyGenerator) -> None:
    prompts = _prompt_ids(tiny)
    never = Sampling(max_new_tokens=12, eos_token_id=-1, temperature=0)
    free = decode(tiny.model, prompts, prefixes=PrefixCache(tiny.model), sampling=never,
                  pad_token_id=0)
    # row 0 "signs" at its 5th token; the stop sees each row's tokens so far
    stopped = decode(tiny.model, prompts, prefixes=PrefixCache(tiny.model), sampling=never,
                     pad_token_id=0, stop=lambda tokens: list(tokens) == free[0][:5])
    assert stopped[0] == free[0][:5]
    assert stopped[1] == free[1]


def test_drafting_stops_decoding_at_the_first_sign_off(
    tiny: ReplyGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What follows a sign-off is cut by the guardrails; the generator does not pay for it."""
    def ids(text: str) -> list[int]:
        return list(tiny.tokenizer(text, add_special_tokens=False)["input_ids"])

    assert tiny._signed(ids("Sorry about the wait, DM us your order number ^J"))
    assert tiny._signed(ids("Sorry about the wait *JD"))
    assert not tiny._signed(ids("Sorry, *please* note the Saturday slot"))
    assert not tiny._signed(ids("Sorry about the wait, DM us your order number"))

    free = tiny.generate(REQUESTS[:1], voice=VOICE, temperature=0, max_new_tokens=12)[0]
    seen: list[int] = []

    def signs_at_the_third_token(tokens: list[int]) -> bool:
        seen.append(len(tokens))
        return len(tokens) == 3

    monkeypatch.setattr(tiny, "_signed", signs_at_the_third_token)
    signed = tiny.generate(REQUESTS[:1], voice=VOICE, temperature=0, max_new_tokens=12)[0]
    assert seen == [1, 2, 3]
    assert free.startswith(signed) and len(ids(signed)) < len(ids(free))


def test_the_shared_prefix_is_computed_once_and_never_changed(tiny: ReplyGenerator) -> None:
    prompts = _prompt_ids(tiny)
    prefixes = PrefixCache(tiny.model)
    sampling = Sampling(max_new_tokens=6, eos_token_id=-1, temperature=0)
    first = decode(tiny.model, prompts, prefixes=prefixes, sampling=sampling, pad_token_id=0)
    stored = next(iter(prefixes._entries.values()))
    length = stored.get_seq_length()
    again = decode(tiny.model, prompts, prefixes=prefixes, sampling=sampling, pad_token_id=0)
    assert again == first
    assert len(prefixes._entries) == 1 and stored.get_seq_length() == length


def test_one_request_at_a_time_shares_the_system_message_not_its_post(tiny_dir: Path) -> None:
    fresh = ReplyGenerator.load(tiny_dir, adapter=None, device="cpu")
    for request in REQUESTS[:2]:  # two twitter posts, one system message
        fresh.generate([request], voice=VOICE, temperature=0, max_new_tokens=2)
    [key] = fresh._prefixes._entries
    assert fresh.tokenizer.decode(list(key)).endswith("<|im_end|>")
    assert "Parcelly" in fresh.tokenizer.decode(list(key))
    assert "parcel never arrived" not in fresh.tokenizer.decode(list(key))


def test_same_seed_same_drafts_other_seed_other_drafts(tiny: ReplyGenerator) -> None:
    first = tiny.generate(REQUESTS, voice=VOICE, seed=3, max_new_tokens=12, temperature=1.0)
    again = tiny.generate(REQUESTS, voice=VOICE, seed=3, max_new_tokens=12, temperature=1.0)
    other = tiny.generate(REQUESTS, voice=VOICE, seed=4, max_new_tokens=12, temperature=1.0)
    assert first == again
    assert first != other


def test_generation_leaves_the_callers_rng_alone(tiny: ReplyGenerator) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    tiny.generate(REQUESTS[:1], voice=VOICE, seed=9, max_new_tokens=4)
    assert torch.equal(torch.rand(3), expected)


def test_drafts_come_back_in_request_order(tiny: ReplyGenerator) -> None:
    # requests are sorted by length internally; the answer must not be
    forward = tiny.generate(REQUESTS, voice=VOICE, temperature=0, max_new_tokens=8)
    backward = tiny.generate(REQUESTS[::-1], voice=VOICE, temperature=0, max_new_tokens=8)
    assert backward == forward[::-1]


def test_prompt_carries_voice_post_thread_and_classification(tiny: ReplyGenerator) -> None:
    prompt = tiny.prompt_text(REQUESTS[1], VOICE)
    for expected in (
        "Parcelly", "warm and brief", "^Parcelly team", "Deliveries run Monday to Saturday.",
        "https://help.parcelly.com", "Do not promise any refund, compensation, discount",
        "@sam", "third time I ask", "Where is my parcel?", "topics delivery, support",
        "under 280 characters",
    ):
        assert expected in prompt
    assert prompt.endswith("<|im_start|>assistant\n")
    generous = BrandVoice(name="Parcelly", allowed_promises=("refund",))
    assert "Do not promise any compensation, discount" in tiny.prompt_text(REQUESTS[0], generous)
    assert "under 280" not in tiny.prompt_text(REQUESTS[2], VOICE)  # reddit


def test_one_voice_per_request_is_accepted(tiny: ReplyGenerator) -> None:
    voices = [VOICE, BrandVoice(name="Other"), VOICE]
    assert len(tiny.generate(REQUESTS, voice=voices, temperature=0, max_new_tokens=4)) == 3
    with pytest.raises(ValueError, match="one voice per request"):
        tiny.generate(REQUESTS, voice=voices[:2], max_new_tokens=4)


def test_lora_adapter_save_and_load_round_trip(tiny_dir: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(tiny_dir)
    with peft_compat():
        peft_model = get_peft_model(
            base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])
        )
    torch.manual_seed(0)
    with torch.no_grad():  # a freshly made adapter is a no-op (B = 0): give it an effect
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.5)
    adapter_dir = tmp_path / "reply-tiny"
    peft_model.save_pretrained(adapter_dir)
    unmerged = ReplyGenerator(peft_model, AutoTokenizer.from_pretrained(tiny_dir), version="x")
    expected = unmerged.generate(REQUESTS, voice=VOICE, temperature=0, max_new_tokens=10)

    loaded = ReplyGenerator.load(tiny_dir, adapter=adapter_dir, device="cpu")
    plain = ReplyGenerator.load(tiny_dir, adapter=None, device="cpu")
    assert loaded.generate(REQUESTS, voice=VOICE, temperature=0, max_new_tokens=10) == expected
    assert plain.generate(REQUESTS, voice=VOICE, temperature=0, max_new_tokens=10) != expected
    assert not any("lora" in name for name, _ in loaded.model.named_parameters())  # merged
    assert loaded.version.startswith(f"{tiny_dir.name}+reply-tiny@")
    assert plain.version == tiny_dir.name


def test_missing_model_or_adapter_is_a_clear_error(tiny_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match="not a Hugging Face model directory"):
        ReplyGenerator.load(tmp_path / "nowhere", adapter=None)
    with pytest.raises(GeneratorError, match="holds no LoRA adapter"):
        ReplyGenerator.load(tiny_dir, adapter=tmp_path)


def test_no_requests_no_drafts(tiny: ReplyGenerator) -> None:
    assert tiny.generate([], voice=VOICE) == []


@pytest.mark.slow
def test_packaged_gguf_converts_once_then_loads_from_cache(tmp_path: Path) -> None:
    try:
        packaged_gguf()
    except GeneratorError as exc:
        pytest.skip(str(exc))
    started = time.monotonic()
    folder = converted_base(cache_dir=tmp_path)
    first = time.monotonic() - started
    started = time.monotonic()
    assert converted_base(cache_dir=tmp_path) == folder
    assert time.monotonic() - started < 1.0 < first
    assert (folder / "model.safetensors").is_file()

    generator = ReplyGenerator.load(cache_dir=tmp_path, device="cpu", threads=2)
    assert generator.version.startswith("smollm2-135m-instruct")
    drafts = generator.generate(REQUESTS[:2], voice=VOICE, max_new_tokens=20, seed=1)
    assert len(drafts) == 2
    assert all(len(d.split()) >= 3 for d in drafts)  # real words, not an empty or one-token echo
    assert generator.generate(REQUESTS[:2], voice=VOICE, max_new_tokens=20, seed=1) == drafts
