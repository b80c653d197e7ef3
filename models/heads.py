"""Batching, pooling and the sentiment head that sit on top of the shared encoder.

The sentiment head reads the ``[CLS]`` vector next to the mean-pooled one. The
mean-pooled vector is also the topic embedding; training keeps it close to the
base encoder's (see `models.training`), so topics can be scored from the same
forward pass while ``[CLS]`` is free to specialise in sentiment.
"""

from __future__ import annotations

import torch
from torch import nn


def pad_right(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id rows as one right-padded batch and its attention mask (training and inference)."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, seq in enumerate(rows):
        ids[row, : len(seq)] = torch.as_tensor(seq)
        mask[row, : len(seq)] = 1
    return ids, mask


def pool(hidden: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the ``[CLS]`` vectors and the attention-masked mean of `hidden`."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
    return hidden[:, 0], mean


class SentimentHead(nn.Module):
    """Three-way classifier over ``[CLS]`` concatenated with the mean-pooled vector."""

    def __init__(self, hidden_size: int, num_labels: int = 3, dropout: float = 0.1) -> None:
        super().__init__()
        self.dense = nn.Linear(2 * hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, num_labels)

    def forward(self, cls: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
        x = torch.tanh(self.dense(self.dropout(torch.cat([cls, mean], dim=-1))))
        return self.out(self.dropout(x))
