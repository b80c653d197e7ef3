"""The post classifier: sentiment and few-shot topics for many posts, fast.

Texts are tokenised once, sorted by length, batched with texts padded to the
same width (a multiple of 8 tokens) and run under `torch.inference_mode`; results
come back in input order, and a text's prediction does not depend on which batch
it landed in, to the last bit with int8 (so a backtest gives one answer).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal, overload

import torch

from models.artefact import PACKAGED_ENCODER, ArtefactError
from models.cpu_memory import reuse_freed_memory
from models.encoders import AdaptedEncoder, SequenceClassifierEncoder, TopicEncoder
from models.heads import pad_right
from models.int8 import INT8_SCHEME, Quantize, quantize_int8, resolve_quantize
from models.reply_need import NEEDS
from models.text import normalise_text
from models.topics import TopicIndex, assign_topics, build_index
from socialbot.domain import SENTIMENTS, Prediction, Topic

logger = logging.getLogger(__name__)

#: The artefact the default config loads (trained by `socialbot train sentiment`).
DEFAULT_MODEL = Path(__file__).with_name("sentiment-minilm")
#: embedded topic sets kept: one per watch, plus room for each watch's previous set
TOPIC_CACHE_SIZE = 16
#: Topic score needed to count a post under a topic, on the base encoder's cosine scale:
#: the best of 0.20-0.50 on complaints.tsv@train's industries (`socialbot eval topics
#: --sweep`); the fine-tuned vector's scale was higher (0.35).
DEFAULT_TOPIC_THRESHOLD = 0.25
#: secondary topics must score within this of the best one (see `assign_topics`)
DEFAULT_TOPIC_MARGIN = 0.05
MAX_TOKENS = 128
#: Texts are padded to a multiple of this many tokens (see `PostClassifier._batches`).
PAD_MULTIPLE = 8
#: what one pass over the texts computes: everything, the heads' input, or topic embeddings
RunMode = Literal["predict", "features", "embed", "topic_texts"]


def pick_device(device: str | None = None) -> torch.device:
    """`device` if given, else ``cuda`` when available, else ``cpu``."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class PostClassifier:
    """Sentiment (negative/neutral/positive) and topic scores in one encoder pass."""

    def __init__(
        self,
        backend: AdaptedEncoder | SequenceClassifierEncoder,
        *,
        device: torch.device,
        quantized: bool = False,
        topic_threshold: float = DEFAULT_TOPIC_THRESHOLD,
        topic_margin: float = DEFAULT_TOPIC_MARGIN,
        max_topics: int = 3,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        self.backend = backend.eval()
        self.device = device
        self.topic_threshold = topic_threshold
        self.topic_margin = topic_margin
        self.max_topics = max_topics
        self.max_tokens = max_tokens
        self.version = backend.version + (f"+{INT8_SCHEME}" if quantized else "")
        self._topic_cache: dict[tuple[Topic, ...], TopicIndex] = {}
        # GPUs get half-precision weights; bf16 keeps fp32's range where supported.
        self.dtype = torch.float32
        if device.type == "cuda":
            bf16 = torch.cuda.is_bf16_supported()
            self.dtype = torch.bfloat16 if bf16 else torch.float16
        self.backend.to(device=device, dtype=self.dtype)

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path | None = None,
        *,
        device: str | None = None,
        quantize: Quantize = False,
        labels: Mapping[str, str] | None = None,
        topic_threshold: float = DEFAULT_TOPIC_THRESHOLD,
        topic_margin: float = DEFAULT_TOPIC_MARGIN,
        topic_model: str | None = None,
        topic_encoder: TopicEncoder = "base",
    ) -> PostClassifier:
        """Load the project artefact at `path` (default: the shipped one) or any
        local HF sequence-classification folder, with `labels` mapping its label
        names to negative/neutral/positive when they are not already those. Such a
        model's topics come from `topic_model` (default: the packaged encoder),
        which costs a second encoder pass per batch. The project artefact scores topics
        on its frozen base encoder (also a second pass) unless `topic_encoder` says
        "projected" or "shared" (`models.encoders.TopicEncoder`)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        folder = Path(path) if path else DEFAULT_MODEL
        backend: AdaptedEncoder | SequenceClassifierEncoder
        if (folder / "classifier.json").exists():
            backend = AdaptedEncoder(folder, topics=topic_encoder)
        elif not (folder / "config.json").exists():
            raise ArtefactError(f"{folder}: neither a socialbot classifier nor a Hugging Face "
                                "model folder")
        else:
            backend = SequenceClassifierEncoder(folder, labels=labels,
                                                topic_model=topic_model or PACKAGED_ENCODER)
        target = pick_device(device)
        if target.type == "cpu":
            reuse_freed_memory()  # batches reuse freed pages instead of faulting in new ones
        quantize = target.type == "cpu" and resolve_quantize(quantize)
        if quantize:
            backend = quantize_int8(backend)  # type: ignore[assignment]
        logger.info("loaded classifier %s on %s", backend.version, target)
        return cls(backend, device=target, quantized=quantize,
                   topic_threshold=topic_threshold, topic_margin=topic_margin)

    def save_pretrained(self, path: str | Path) -> None:
        """Write the artefact (config, LoRA delta, head) to `path`."""
        from safetensors.torch import save_file

        if not isinstance(self.backend, AdaptedEncoder):
            raise TypeError("a swapped-in Hugging Face model is saved where it already lives")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        save_file(self.backend.adapter_state, str(folder / "adapter.safetensors"))
        save_file(self.backend.head_state, str(folder / "head.safetensors"))
        self.backend.config.save(folder)

    # -- inference ---------------------------------------------------------

    @overload
    def predict(self, texts: str, topics: Sequence[Topic] = ()) -> Prediction: ...
    @overload
    def predict(self, texts: list[str], topics: Sequence[Topic] = ()) -> list[Prediction]: ...
    def predict(
        self, texts: str | list[str], topics: Sequence[Topic] = ()
    ) -> Prediction | list[Prediction]:
        """Classify one text or a list; the result has the same shape."""
        if isinstance(texts, str):
            return self.predict_batch([texts], topics)[0]
        return self.predict_batch(texts, topics)

    def predict_batch(
        self, texts: list[str], topics: Sequence[Topic] = (), *, batch_size: int = 64
    ) -> list[Prediction]:
        """Classify `texts` in length-sorted batches; results are in input order."""
        if not texts:
            return []
        probs, embeddings, need = self._run(texts, batch_size=batch_size, mode="predict")
        index = self.topic_index(topics)
        assigned = assign_topics(index.similarities(embeddings), index.names,
                                 threshold=self.topic_threshold, max_topics=self.max_topics,
                                 margin=self.topic_margin)
        best = probs.argmax(-1).tolist()
        rows = probs.tolist()
        needs: list[dict[str, float]] = (
            [{n: round(p, 4) for n, p in zip(NEEDS, row, strict=True)} for row in need.tolist()]
            if need is not None else [{} for _ in texts]
        )
        vectors = embeddings.tolist()
        return [
            Prediction(
                sentiment=SENTIMENTS[b],
                scores={s: round(p, 4) for s, p in zip(SENTIMENTS, row, strict=True)},
                topics=topics_for,
                model_version=self.version,
                need=max(need_for, key=need_for.__getitem__) if need_for else None,
                need_scores=need_for,
                embedding=tuple(vector),
            )
            for b, row, topics_for, need_for, vector
            in zip(best, rows, assigned, needs, vectors, strict=True)
        ]

    def probabilities(self, texts: list[str], *, batch_size: int = 64) -> torch.Tensor:
        """Unrounded sentiment probabilities, one row per text in input order, columns
        in `SENTIMENTS` order; a row does not depend on the other texts or `batch_size`."""
        return self._run(texts, batch_size=batch_size, mode="predict")[0]

    def features(self, texts: list[str], *, batch_size: int = 64) -> torch.Tensor:
        """``[CLS]`` + mean-pooled vectors of the project artefact, the heads' input."""
        if not isinstance(self.backend, AdaptedEncoder):
            raise TypeError("only the project's own artefact takes a need head")
        return self._run(texts, batch_size=batch_size, mode="features")[1]

    def embed(self, texts: list[str], *, batch_size: int = 64) -> torch.Tensor:
        """Normalised topic-space embeddings of `texts`, in input order."""
        return self._run(texts, batch_size=batch_size, mode="embed")[1]

    def topic_scores(
        self, texts: list[str], topics: Sequence[Topic], *, batch_size: int = 64
    ) -> list[dict[str, float]]:
        """Each text's score for every topic, as `predict` ranks topics, from one
        embedding pass (no sentiment): what a drafted reply is about."""
        index = self.topic_index(topics)
        if not texts or not index.names:
            return [{} for _ in texts]
        rows = index.similarities(self.embed(texts, batch_size=batch_size)).tolist()
        return [dict(zip(index.names, row, strict=True)) for row in rows]

    def _embed_topic_texts(self, texts: list[str]) -> torch.Tensor:
        return self._run(texts, batch_size=64, mode="topic_texts")[1]

    def topic_index(self, topics: Sequence[Topic]) -> TopicIndex:
        """Embedded `topics`, cached because watches rarely change."""
        key = tuple(topics)
        index = self._topic_cache.pop(key, None)
        if index is None:
            index = build_index(key, self._embed_topic_texts)
        # topics that learn from labels change their examples over a daemon's life: keep
        # only the recently used indexes (insertion order is use order) so memory stays flat
        self._topic_cache[key] = index
        while len(self._topic_cache) > TOPIC_CACHE_SIZE:
            del self._topic_cache[next(iter(self._topic_cache))]
        return index

    def _run(
        self, texts: list[str], *, batch_size: int, mode: RunMode
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Sentiment probabilities (zeros unless `mode` is "predict"), the second output
        (topic embeddings, or for "features" the heads' ``[CLS]`` + mean input) and need
        probabilities (None without a need head), each in input order."""
        backend = self.backend
        clean = [normalise_text(t) for t in texts]
        tokenizer = (backend.embed_tokenizer if mode in ("embed", "topic_texts")
                     else backend.tokenizer)
        ids = tokenizer(clean, truncation=True, max_length=self.max_tokens)["input_ids"]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        probs = torch.zeros((len(texts), len(SENTIMENTS)))
        embeddings: torch.Tensor | None = None
        need: torch.Tensor | None = None
        with torch.inference_mode():
            for chunk in self._batches(order, [len(r) for r in ids], batch_size):
                batch_ids, mask = self._pad([ids[i] for i in chunk], tokenizer.pad_token_id)
                n = None
                if mode == "predict":
                    p, e, n = backend(batch_ids, mask, [clean[i] for i in chunk], self._pad)
                    probs[chunk] = p.cpu()
                elif mode == "features":
                    assert isinstance(backend, AdaptedEncoder)
                    e = torch.cat(backend.features(batch_ids, mask), dim=-1)
                elif mode == "topic_texts" and isinstance(backend, AdaptedEncoder):
                    e = backend.embed_topic_texts(batch_ids, mask)
                else:
                    e = backend.embed(batch_ids, mask)
                if embeddings is None:
                    embeddings = torch.zeros((len(texts), e.shape[-1]))
                embeddings[chunk] = e.float().cpu()
                if n is not None:
                    if need is None:
                        need = torch.zeros((len(texts), len(NEEDS)))
                    need[chunk] = n.float().cpu()
        assert embeddings is not None
        return probs, embeddings, need

    def _batches(
        self, order: list[int], lengths: list[int], batch_size: int
    ) -> Iterator[list[int]]:
        """Chunks of `order` (sorted by length) whose texts share one padded width.

        A text is always padded to the same width, its length rounded up to
        `PAD_MULTIPLE`, never to its batch's longest: attention over a different
        number of padding positions changes the float rounding, and int8
        quantisation can turn that last-bit difference into a visibly different
        probability.
        """
        chunk: list[int] = []
        for i in order:
            if chunk and (len(chunk) == batch_size
                          or _padded(lengths[i]) != _padded(lengths[chunk[0]])):
                yield chunk
                chunk = []
            chunk.append(i)
        if chunk:
            yield chunk

    def _pad(self, rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
        ids, mask = pad_right(rows, pad_id)
        extra = _padded(ids.shape[1]) - ids.shape[1]
        if extra:
            ids = torch.nn.functional.pad(ids, (0, extra), value=pad_id)
            mask = torch.nn.functional.pad(mask, (0, extra))
        if self.device.type == "cuda":
            return (ids.pin_memory().to(self.device, non_blocking=True),
                    mask.pin_memory().to(self.device, non_blocking=True))
        return ids, mask


def _padded(length: int) -> int:
    return -(-length // PAD_MULTIPLE) * PAD_MULTIPLE


def load_classifier(
    path: str | Path | None = None,
    *,
    device: str | None = None,
    quantize: Quantize = False,
    num_threads: int | None = None,
    labels: Mapping[str, str] | None = None,
    topic_threshold: float = DEFAULT_TOPIC_THRESHOLD,
    topic_margin: float = DEFAULT_TOPIC_MARGIN,
    topic_model: str | None = None,
    topic_encoder: TopicEncoder = "base",
) -> PostClassifier:
    """Load a classifier for the core: `path` None means the shipped artefact."""
    if num_threads:
        torch.set_num_threads(num_threads)
    return PostClassifier.from_pretrained(path, device=device, quantize=quantize, labels=labels,
                                          topic_threshold=topic_threshold,
                                          topic_margin=topic_margin, topic_model=topic_model,
                                          topic_encoder=topic_encoder)
