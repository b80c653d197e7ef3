"""The two ways the classifier can get sentiment and topic embeddings from text.

`AdaptedEncoder` is the project's own artefact: the base encoder with its LoRA
delta merged in, a sentiment head, and topic embeddings from the same pass.
`SequenceClassifierEncoder` wraps any local Hugging Face sequence-classification
folder; its topic embeddings need a second, plain sentence encoder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from models.artefact import (
    PACKAGED_ENCODER,
    ArtefactConfig,
    ArtefactError,
    merge_lora,
    resolve_base_model,
)
from models.calibration import BIAS_KEY, apply_bias
from models.datasets import DataFormatError, parse_label
from models.heads import SentimentHead, pool
from models.hf_loading import load_pretrained
from models.reply_need import read_head
from models.topic_projection import PROJECTION_FILE, read_projection
from socialbot.domain import SENTIMENTS

#: Pads token-id rows into (ids, mask) tensors on the classifier's device.
Pad = Callable[[list[list[int]], int], tuple[torch.Tensor, torch.Tensor]]


def mean_embedding(model: nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L2-normalised mean-pooled last hidden state (the sentence-transformers recipe)."""
    _, mean = pool(model(input_ids=ids, attention_mask=mask).last_hidden_state, mask)
    return nn.functional.normalize(mean.float(), dim=-1)


#: Where topic embeddings come from: "base", the frozen base encoder (a second pass per
#: post); "projected", the fine-tuned pass mapped into the base's space by the artefact's
#: topic projection (`models.topic_projection`); "shared", the fine-tuned pass as it is.
TopicEncoder = Literal["base", "projected", "shared"]


class AdaptedEncoder(nn.Module):
    """Base encoder + merged LoRA delta + sentiment head; topic embeddings as `topics` says.

    Fine-tuning moves the mean-pooled vector away from the sentence space topic
    descriptions and examples are written for, anchor term or not: on travel posts
    labelled by reason (bench/topics/transport_reasons.tsv) topics scored on the
    fine-tuned vector reach macro-F1 0.30 at the configured threshold, on the base
    encoder's 0.55. The second pass roughly doubles the cost of classifying a post; the
    projection gets most of the way back to the base's topics in one pass.
    """

    def __init__(self, folder: str | Path, *, topics: TopicEncoder = "base") -> None:
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer

        super().__init__()
        folder = Path(folder)
        self.config = ArtefactConfig.load(folder)
        base = resolve_base_model(self.config.base_model)
        self.tokenizer: Any = AutoTokenizer.from_pretrained(base)
        self.embed_tokenizer: Any = self.tokenizer
        self.encoder: Any = load_pretrained(AutoModel, base, add_pooling_layer=False)
        #: the untouched sentence encoder topics (and similar-post search) are scored on
        self.topic_encoder: Any = None if topics != "base" else load_pretrained(
            AutoModel, base, add_pooling_layer=False)
        self.base_for_topic_texts: Any = None  # loaded on first use, projected topics only
        self.projection = (read_projection(folder, self.config.hidden_size)
                           if topics == "projected" else None)
        if topics == "projected" and self.projection is None:
            raise ArtefactError(
                f"{folder}: no {PROJECTION_FILE} for projected topics; fit one with "
                f"`socialbot train topic-projection --model {folder}`, or score topics "
                "on the base encoder (topic_encoder = \"base\")")
        self.adapter_state = load_file(str(folder / "adapter.safetensors"))
        self.head_state = load_file(str(folder / "head.safetensors"))
        if self.config.lora_r:
            scale = self.config.lora_alpha / self.config.lora_r
            merge_lora(self.encoder, self.adapter_state, scale)
        self.head = SentimentHead(self.config.hidden_size, len(self.config.labels))
        try:
            self.head.load_state_dict(self.head_state)
        except RuntimeError as exc:
            raise ArtefactError(f"{folder}: head does not fit: {exc}") from exc
        self.order = [self.config.labels.index(s) for s in SENTIMENTS]
        self.need_head = read_head(folder, self.config.hidden_size)
        # Topics from another encoder are another model's topics: stored predictions
        # carry the version, so the change is visible and reclassifiable.
        self.version = (self.config.version + _TOPIC_SUFFIX[topics]
                        + ("+need" if self.need_head is not None else ""))
        bias = self.config.extra.get(BIAS_KEY)
        self.decision_bias = [float(b) for b in bias] if isinstance(bias, list) else None

    def forward(
        self, ids: torch.Tensor, mask: torch.Tensor, texts: list[str], pad: Pad
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Return (probabilities in SENTIMENTS order, normalised topic embeddings,
        complaint/question/none probabilities or None without a need head)."""
        cls, mean = self.features(ids, mask)
        probs = apply_bias(self.head(cls, mean).float().softmax(-1)[:, self.order],
                           self.decision_bias)
        need = None if self.need_head is None else self.need_head(cls, mean).float().softmax(-1)
        topics = (mean_embedding(self.topic_encoder, ids, mask)
                  if self.topic_encoder is not None else self._one_pass_topics(cls, mean))
        return probs, topics, need

    def features(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``[CLS]`` and mean-pooled vectors both heads read."""
        return pool(self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state, mask)

    def embed(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.topic_encoder is not None:
            return mean_embedding(self.topic_encoder, ids, mask)
        return self._one_pass_topics(*self.features(ids, mask))

    def _one_pass_topics(self, cls: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
        """Topic embeddings from the fine-tuned pass: through the projection, or as it is."""
        if self.projection is not None:
            return self.projection(torch.cat((cls, mean), dim=-1))
        return nn.functional.normalize(mean.float(), dim=-1)

    def embed_topic_texts(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Topic descriptions and examples, embedded where the projection maps posts to:
        the base encoder's own space (the fine-tuned pass with topics "shared")."""
        if self.projection is None:
            return self.embed(ids, mask)
        if self.base_for_topic_texts is None:
            from transformers import AutoModel

            self.base_for_topic_texts = load_pretrained(
                AutoModel, resolve_base_model(self.config.base_model),
                add_pooling_layer=False).eval().to(ids.device)
        return mean_embedding(self.base_for_topic_texts, ids, mask)


#: version suffix by topic source: stored predictions say which one scored their topics
_TOPIC_SUFFIX: dict[str, str] = {"base": "+basetopics", "projected": "+projtopics",
                                 "shared": ""}


class SequenceClassifierEncoder(nn.Module):
    """A local HF sequence-classification model for sentiment; topics from `topic_model`."""

    def __init__(
        self,
        folder: str | Path,
        *,
        labels: Mapping[str, str] | None = None,
        topic_model: str = PACKAGED_ENCODER,
    ) -> None:
        from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

        super().__init__()
        folder = str(folder)
        self.tokenizer: Any = AutoTokenizer.from_pretrained(folder)
        self.model: Any = load_pretrained(AutoModelForSequenceClassification, folder)
        id2label = {int(k): str(v) for k, v in self.model.config.id2label.items()}
        self.order = _label_order(id2label, labels or {}, folder)
        topic_dir = resolve_base_model(topic_model)
        self.embed_tokenizer: Any = AutoTokenizer.from_pretrained(topic_dir)
        self.topic_encoder: Any = load_pretrained(AutoModel, topic_dir, add_pooling_layer=False)
        self.max_tokens = 128
        self.version = f"hf:{Path(folder).name}"

    def forward(
        self, ids: torch.Tensor, mask: torch.Tensor, texts: list[str], pad: Pad
    ) -> tuple[torch.Tensor, torch.Tensor, None]:
        """Return (probabilities in SENTIMENTS order, embeddings from the topic encoder,
        None: a swapped-in model has no need head)."""
        logits = self.model(input_ids=ids, attention_mask=mask).logits
        probs = logits.float().softmax(-1)[:, self.order]
        topic_ids = self.embed_tokenizer(texts, truncation=True,
                                         max_length=self.max_tokens)["input_ids"]
        return probs, self.embed(*pad(topic_ids, self.embed_tokenizer.pad_token_id)), None

    def embed(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return mean_embedding(self.topic_encoder, ids, mask)


def _label_order(id2label: dict[int, str], labels: Mapping[str, str], folder: str) -> list[int]:
    """Indices of the model's outputs for negative, neutral, positive, in that order."""
    found: dict[int, int] = {}
    for index, name in id2label.items():
        try:
            found[parse_label(labels.get(name, name))] = index
        except DataFormatError:
            continue
    if sorted(found) != [0, 1, 2]:
        raise ArtefactError(
            f"{folder}: cannot map labels {sorted(id2label.values())} to {SENTIMENTS}; "
            "name the mapping in config (e.g. LABEL_0 = 'negative')"
        )
    return [found[i] for i in range(3)]
