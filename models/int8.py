"""int8 inference on the CPU with answers that do not depend on the batch.

`quantize_int8` swaps an encoder's Linear layers for `RowInt8Linear` (per-row activation
range, exact int32 products). Where three layers read the same input (an attention
block's query, key and value), they become one product over the three weights
(`SharedInputInt8`): the input is quantised once, and one wide product runs faster than
three narrow ones; each row's answer is bit for bit what the three layers gave apart.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Literal

import torch
from torch import nn

#: Names the int8 scheme in a quantised classifier's version string: predictions are
#: stored per model version, and a scheme that changes answers must change it.
INT8_SCHEME = "int8row"


class RowInt8Linear(nn.Module):
    """A Linear in int8 whose activation range is chosen per row (token), not per tensor.

    Torch's dynamic quantisation scales the whole input tensor by its min/max, so a
    post's answer moved with the rest of its batch, padding included. Here each row
    is mapped onto [-1, 1] by its own min and max and rounded to int8; weights are
    int8 per output channel; `torch._int_mm` multiplies them exactly in int32. So a
    row's output depends on that row alone, and each row uses its full 8-bit range.
    """

    qweight_t: torch.Tensor
    scales: torch.Tensor
    row_sums: torch.Tensor
    bias: torch.Tensor

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        scales = (weight.abs().amax(1) / 127).clamp(min=1e-12)
        qweight = (weight / scales[:, None]).round().clamp(-127, 127)
        # Stored transposed and contiguous: `_int_mm` on a transposed view of the
        # weight ran 2-3x slower for the wide (384 -> 1536) layers (measured).
        self.register_buffer("qweight_t", qweight.to(torch.int8).t().contiguous())
        self.register_buffer("scales", scales)
        bias = linear.bias.detach().float() if linear.bias is not None else None
        # x = mid + half * unit, so W x + b = half * (W unit) + mid * (W 1) + b.
        self.register_buffer("row_sums", (qweight * scales[:, None]).sum(1))
        self.register_buffer("bias", bias if bias is not None else torch.zeros_like(scales))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(-1, shape[-1]).float()
        high, low = x.amax(-1, keepdim=True), x.amin(-1, keepdim=True)
        mid = (high + low) * 0.5
        half = ((high - low) * 0.5).clamp_(min=1e-12)
        step = 127 / half
        # (x - mid) * 127 / half lies in [-127, 127]: round it to int8 in one pass.
        unit = torch.addcmul(-mid * step, x, step).round_().to(torch.int8)
        # Elementwise from here on (no BLAS call whose blocking depends on the row count).
        # In place, with no (rows x out) temporary: the epilogue cost more than the product.
        y = torch._int_mm(unit, self.qweight_t) * self.scales
        y.mul_(half / 127).addcmul_(mid, self.row_sums).add_(self.bias)
        return y.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"


#: `quantize` settings: on, off, or "auto": on where int8 products are the faster ones.
Quantize = bool | Literal["auto"]


#: interleaved rounds of the probe; a busy machine (another process on the cores) delays
#: single runs, and three runs each picked fp32 on a VNNI CPU 6 times in 15 under load
PROBE_ROUNDS = 15


@functools.cache
def int8_is_faster() -> bool:
    """Whether this CPU multiplies int8 faster than float32, timed once per process.

    `torch._int_mm` is fast where the CPU has int8 dot-product instructions (AVX512-VNNI,
    AVX-VNNI, AMX) and tens of times slower than float32 where it has only AVX2 (an AVX2
    EPYC: 0.88 s against 0.02 s for one encoder-sized product), so "auto" measures
    rather than guessing from flags. One batch of 64 rows through a 384x1536 layer,
    int8 and float32 in turns, the best of each kept: a fraction of a millisecond each
    where int8 is fast. Where it is clearly slower (4x after three rounds), it stops
    there, so an AVX2 machine spends a few tenths of a second, not seconds.

    The answer must not depend on what else the machine is doing: it decides which
    model version every prediction carries (`+int8row`), and a restart that decided
    otherwise would mark every stored post for reclassification.
    """
    import time

    rows = torch.randint(-127, 127, (64, 384), dtype=torch.int8)
    weights = torch.randint(-127, 127, (384, 1536), dtype=torch.int8)
    rows_f, weights_f = rows.float(), weights.float()

    def timed(product: Callable[[], object]) -> float:
        started = time.perf_counter()
        product()
        return time.perf_counter() - started

    int8_times: list[float] = []
    float_times: list[float] = []
    threads = torch.get_num_threads()
    # One thread: with two, each product waits for both threads to be scheduled, and on a
    # busy machine that wait (milliseconds) drowns the product itself (microseconds).
    torch.set_num_threads(1)
    try:
        for done in range(1, PROBE_ROUNDS + 1):
            float_times.append(timed(lambda: rows_f @ weights_f))
            int8_times.append(timed(lambda: torch._int_mm(rows, weights)))
            if done >= 3 and min(int8_times) > 4 * min(float_times):
                return False
    finally:
        torch.set_num_threads(threads)
    return min(int8_times) < 0.8 * min(float_times)


def resolve_quantize(quantize: Quantize) -> bool:
    """`quantize` as a yes or no: "auto" asks `int8_is_faster`."""
    return int8_is_faster() if quantize == "auto" else bool(quantize)


class SharedInputInt8(nn.Module):
    """Several Linear layers that read the same input, as one `RowInt8Linear`.

    Each part (`part(i)`) is a module standing in for one of the layers. The first part
    called with an input computes every part's output in one product and keeps it until
    each of the other parts has taken its slice, so the caller still calls the layers
    one by one (as Hugging Face's attention does: query, key, value). A part called with
    another input than the kept one computes afresh, so a caller that does not share the
    input still gets the right answer, only without the saving.
    """

    def __init__(self, linears: Sequence[nn.Linear]) -> None:
        super().__init__()
        widths = [layer.out_features for layer in linears]
        joined = nn.Linear(linears[0].in_features, sum(widths))
        with torch.no_grad():
            joined.weight.copy_(torch.cat([layer.weight for layer in linears]))
            joined.bias.copy_(torch.cat([
                layer.bias if layer.bias is not None else torch.zeros(layer.out_features)
                for layer in linears
            ]))
        self.joined = RowInt8Linear(joined)
        ends = list(itertools.accumulate(widths))
        self.spans = [(end - width, end) for end, width in zip(ends, widths, strict=True)]
        # (input, output, parts still to take their slice): one tuple, replaced whole, so
        # a reader never pairs one call's input with another call's output
        self._kept: tuple[torch.Tensor, torch.Tensor, int] | None = None

    def part(self, index: int) -> nn.Module:
        return _SharedPart(self, index)

    def slice_for(self, index: int, x: torch.Tensor) -> torch.Tensor:
        kept = self._kept
        if kept is not None and kept[0] is x:
            _, out, waiting = kept
            self._kept = (x, out, waiting - 1) if waiting > 1 else None
        else:
            out = self.joined(x)
            waiting = len(self.spans) - 1
            self._kept = (x, out, waiting) if waiting else None
        start, end = self.spans[index]
        return out[..., start:end]


class _SharedPart(nn.Module):
    """One layer of a `SharedInputInt8`, where the original Linear was."""

    shared: SharedInputInt8

    def __init__(self, shared: SharedInputInt8, index: int) -> None:
        super().__init__()
        # a plain attribute, not a submodule: the weights belong to the shared module
        self.__dict__["shared"] = shared
        self.index = index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shared.slice_for(self.index, x)


#: Sibling Linear layers that read the same input in the encoders used here (BERT's
#: self-attention), fused into one product when quantised.
SHARED_INPUTS: tuple[tuple[str, ...], ...] = (("query", "key", "value"),)


def quantize_int8(module: nn.Module) -> nn.Module:
    """Replace every Linear in `module` by a `RowInt8Linear` (CPU only), in place.

    A row's output depends only on that row, so a post's prediction does not
    depend on the batch it is classified in (see issue 11). Query, key and value
    become one `SharedInputInt8`: the same answers, one product instead of three.
    """
    for names in SHARED_INPUTS:
        linears = [layer for name in names
                   if isinstance(layer := getattr(module, name, None), nn.Linear)]
        if len(linears) == len(names) and len({layer.in_features for layer in linears}) == 1:
            shared = SharedInputInt8(linears)
            module.add_module("_".join(names) + "_int8", shared)
            for index, name in enumerate(names):
                setattr(module, name, shared.part(index))
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Linear):
            setattr(module, name, RowInt8Linear(child))
        else:  # a SharedInputInt8 or its parts hold no Linear: nothing happens there
            quantize_int8(child)
    return module
