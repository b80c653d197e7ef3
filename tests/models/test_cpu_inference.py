"""CPU inference speed-ups that must not change answers: per-row int8 with query, key and
value in one product, and glibc keeping freed memory between batches."""

from __future__ import annotations

import copy
from typing import TypeVar

import pytest
import torch
from torch import nn

from models.int8 import RowInt8Linear, SharedInputInt8, quantize_int8

M = TypeVar("M", bound=nn.Module)


class Attention(nn.Module):
    """The shape of BERT's self-attention projections: three layers on one input."""

    def __init__(self) -> None:
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(16, 8) for _ in range(3))
        self.dense = nn.Linear(8, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.query(x) * self.key(x) + self.value(x))


def separately_quantised(module: M) -> M:
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Linear):
            setattr(module, name, RowInt8Linear(child))
        else:
            separately_quantised(child)
    return module


def test_query_key_value_share_one_product_with_the_same_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    torch.manual_seed(0)
    block = nn.Sequential(Attention(), nn.ReLU(), Attention())
    apart = separately_quantised(copy.deepcopy(block))
    fused = copy.deepcopy(block)
    quantize_int8(fused)
    shared = []
    for attention in (fused[0], fused[2]):
        assert isinstance(attention.query_key_value_int8, SharedInputInt8)
        assert isinstance(attention.dense, RowInt8Linear)
        shared.append(attention.query_key_value_int8)
    x = torch.randn(5, 7, 16)
    expected = apart(x)
    widths: list[int] = []
    forward = RowInt8Linear.forward

    def counted(self: RowInt8Linear, x: torch.Tensor) -> torch.Tensor:
        widths.append(self.out_features)
        return forward(self, x)

    monkeypatch.setattr(RowInt8Linear, "forward", counted)
    assert torch.equal(fused(x), expected)
    # per block one product 16 -> 24 (query, key and value at once) and the dense layer
    assert widths.count(24) == 2 and widths.count(8) == 0
    # nothing is kept once every part has taken its slice
    assert all(s._kept is None for s in shared)


def test_a_part_called_with_another_input_computes_its_own_answer() -> None:
    torch.manual_seed(1)
    attention = Attention()
    apart = separately_quantised(copy.deepcopy(attention))
    fused = copy.deepcopy(attention)
    quantize_int8(fused)
    a, b = torch.randn(3, 16), torch.randn(3, 16)
    assert torch.equal(fused.query(a), apart.query(a))
    # key on a different tensor (as cross-attention would do): not the kept output of `a`
    assert torch.equal(fused.key(b), apart.key(b))
    assert torch.equal(fused.value(a), apart.value(a))


def test_glibc_keeps_freed_memory_for_the_next_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # a third of the classify stage's time went to the kernel zeroing pages that glibc
    # had mapped for one batch's tensors and returned at once (models/cpu_memory.py)
    import platform

    from models import cpu_memory

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("the thresholds are glibc's; other C libraries are left alone")
    assert cpu_memory.reuse_freed_memory() is True
    cpu_memory.reuse_freed_memory.cache_clear()
    monkeypatch.setattr(cpu_memory.sys, "platform", "darwin")
    assert cpu_memory.reuse_freed_memory() is False
    cpu_memory.reuse_freed_memory.cache_clear()
