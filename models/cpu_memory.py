"""Keep freed tensor memory in the process between batches, where the C library is glibc.

glibc serves a large allocation (above its mmap threshold, which starts at 128 KB) with
fresh pages from the kernel and unmaps them when it is freed, and hands the top of its
heap back once more than 128 KB is free there. An encoder batch allocates and frees
dozens of tensors of a few MB in every layer, so every batch faulted in pages the kernel
had to zero first: a third of the time went to the kernel (6.5 s of 20 s for a process
that loaded the model and ran the stage twice over 3,000 posts). With both thresholds
fixed, those pages stay in the heap and the next batch reuses them: the stage ran 20-25%
faster at about the same peak memory (`bench/bench_classify.py`). Either threshold alone
does not help: a fixed trim threshold also stops glibc raising the mmap threshold, so
every large tensor is mapped afresh.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import sys

logger = logging.getLogger(__name__)

#: mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: the largest mmap threshold glibc accepts on 64-bit: tensors below it come from the heap
MMAP_THRESHOLD = 32 * 1024 * 1024
#: free memory at the heap's top kept for reuse rather than returned to the kernel
TRIM_THRESHOLD = 1024 * 1024 * 1024


@functools.cache
def reuse_freed_memory() -> bool:
    """Set glibc's thresholds as above, once per process; whether they were set.

    A no-op (False) where the C library is not glibc (macOS, musl), which manage memory
    their own way. It applies to the whole process: a daemon that classifies keeps up to
    `TRIM_THRESHOLD` of freed memory for its next batch instead of returning it.
    """
    if sys.platform != "linux":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    logger.debug("glibc malloc thresholds %s", "set" if done else "not set")
    return done
