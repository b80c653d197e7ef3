"""Batched decoding for drafts: a shared prompt prefix computed once, finished rows retired.

Two costs dominate drafting on a CPU, and `transformers`' `generate` pays both:

* Every prompt starts with the same ~110-token system message (the brand voice for one
  platform); prefilling it again for every request costs as much as the reply itself.
  Here its keys and values are computed once, kept, and shared by every row of a batch.
* A batch decodes until its longest draft ends, so rows that finished early keep being
  computed. Here a row leaves the batch (and its cache) as soon as it ends.

Rows are laid out as `[shared prefix][left padding][own suffix]`; the attention mask
hides the padding and position ids skip it, so each row sees exactly its own prompt.
"""

from __future__ import annotations

import copy
import inspect
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

#: distinct shared prefixes kept (one per brand voice x platform, typically)
PREFIX_CACHE_SIZE = 8


@dataclass(frozen=True, slots=True)
class Sampling:
    """How the next token is chosen: greedy when `temperature` is 0, else top-p sampling."""

    max_new_tokens: int
    eos_token_id: int
    temperature: float = 0.7
    top_p: float = 0.9

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0


def common_prefix_length(rows: Sequence[Sequence[int]]) -> int:
    """Tokens every row starts with, leaving each row at least one token of its own."""
    shortest = min(len(row) for row in rows)
    n = 0
    while n < shortest - 1 and all(row[n] == rows[0][n] for row in rows):
        n += 1
    return n


class PrefixCache:
    """Keys and values of recently seen prompt prefixes, computed once per model."""

    def __init__(self, model: PreTrainedModel, *, size: int = PREFIX_CACHE_SIZE) -> None:
        self.model = model
        self.size = size
        #: the forward keyword for the KV cache, looked up once per model
        self.cache_arg = _cache_argument(model)
        self._entries: OrderedDict[tuple[int, ...], Any] = OrderedDict()

    def for_batch(self, prefix: Sequence[int], rows: int) -> Any:
        """A fresh cache holding `prefix` for each of `rows` rows (the stored one is untouched)."""
        import torch

        key = tuple(prefix)
        cached = self._entries.get(key)
        if cached is None:
            ids = torch.tensor([list(prefix)], device=self.model.device)
            with torch.inference_mode():
                cached = _cache_of(self.model(input_ids=ids, use_cache=True))
            self._entries[key] = cached
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        self._entries.move_to_end(key)
        batch = copy.deepcopy(cached)
        if rows > 1:
            batch.batch_repeat_interleave(rows)
        return batch


def decode(
    model: PreTrainedModel,
    prompts: Sequence[Sequence[int]],
    *,
    prefixes: PrefixCache,
    sampling: Sampling,
    pad_token_id: int,
    generator: torch.Generator | None = None,
    max_prefix: int | None = None,
    stop: Callable[[Sequence[int]], bool] | None = None,
) -> list[list[int]]:
    """The new tokens for each prompt (token ids, eos excluded), in the prompts' order.

    A row also ends when `stop(its new tokens)` says so (the token that completed the stop
    is kept), so text the caller would cut off anyway is not paid for.

    The prompts' common start, up to `max_prefix` tokens, is computed once and kept
    (pass the system message's length, so a lone prompt shares it too and the cache
    holds system messages rather than whole prompts).
    """
    import torch

    with torch.inference_mode():
        return _decode(model, prompts, prefixes, sampling, pad_token_id, generator, max_prefix,
                       stop)


def _decode(
    model: PreTrainedModel,
    prompts: Sequence[Sequence[int]],
    prefixes: PrefixCache,
    sampling: Sampling,
    pad_token_id: int,
    generator: torch.Generator | None,
    max_prefix: int | None,
    stop: Callable[[Sequence[int]], bool] | None,
) -> list[list[int]]:
    import torch

    device = model.device
    n_prefix = common_prefix_length(prompts)
    if max_prefix is not None:
        n_prefix = min(n_prefix, max_prefix)
    cache = prefixes.for_batch(prompts[0][:n_prefix], len(prompts))
    suffixes = [list(p[n_prefix:]) for p in prompts]
    width = max(len(s) for s in suffixes)
    input_ids = torch.tensor(
        [[pad_token_id] * (width - len(s)) + s for s in suffixes], device=device
    )
    own = torch.tensor(
        [[0] * (width - len(s)) + [1] * len(s) for s in suffixes], device=device
    )
    mask = torch.cat([torch.ones(len(prompts), n_prefix, dtype=own.dtype, device=device), own], 1)
    positions = (mask.cumsum(1) - 1).clamp(min=0)[:, n_prefix:]
    rows = torch.arange(len(prompts), device=device)  # which prompt each live row is
    out: list[list[int]] = [[] for _ in prompts]
    cache_arg = prefixes.cache_arg
    logits = model(
        input_ids=input_ids,
        attention_mask=mask,
        position_ids=positions,
        use_cache=True,
        logits_to_keep=1,
        **{cache_arg: cache},
    ).logits[:, -1, :]
    next_position = positions[:, -1:] + 1
    for step in range(sampling.max_new_tokens):
        tokens = _choose(logits, sampling, generator)
        ended = tokens == sampling.eos_token_id
        for i, (row, token, done) in enumerate(
                zip(rows.tolist(), tokens.tolist(), ended.tolist(), strict=True)):
            if not done:
                out[row].append(token)
                if stop is not None and stop(out[row]):
                    ended[i] = True
        if step == sampling.max_new_tokens - 1:
            break
        live = (~ended).nonzero().squeeze(1)
        if live.numel() == 0:
            break
        if live.numel() < rows.numel():  # retire finished rows from the batch and its cache
            cache.batch_select_indices(live)
            rows, tokens, mask = rows[live], tokens[live], mask[live]
            next_position = next_position[live]
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
        logits = model(
            input_ids=tokens[:, None],
            attention_mask=mask,
            position_ids=next_position,
            use_cache=True,
            **{cache_arg: cache},
        ).logits[:, -1, :]
        next_position = next_position + 1
    return out


def _cache_argument(model: PreTrainedModel) -> str:
    """The forward keyword for the KV cache: `cache` from transformers 5.x, earlier
    `past_key_values` (deprecated since)."""
    unwrap: Any = getattr(model, "get_base_model", None)  # a peft wrapper hides the signature
    base = unwrap() if callable(unwrap) else model
    params = inspect.signature(base.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _cache_of(output: Any) -> Any:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


def _choose(
    logits: torch.Tensor, sampling: Sampling, generator: torch.Generator | None
) -> torch.Tensor:
    """Greedy argmax, or a sample from the smallest set of tokens holding `top_p` mass."""
    import torch

    if sampling.greedy:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / sampling.temperature, -1)
    sorted_probs, order = probs.sort(-1, descending=True)
    # keep a token while the mass before it is under top_p (so the first always stays)
    drop = sorted_probs.cumsum(-1) - sorted_probs >= sampling.top_p
    sorted_probs = sorted_probs.masked_fill(drop, 0.0)
    picked = torch.multinomial(sorted_probs, 1, generator=generator)
    return order.gather(-1, picked).squeeze(1)
