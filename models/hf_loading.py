"""Loading Hugging Face weights from a local folder without their console chatter."""

from __future__ import annotations

import warnings
from typing import Any


def load_pretrained(cls: type, folder: str, **kwargs: object) -> Any:
    """`cls.from_pretrained(folder)` without the expected-weights chatter."""
    # transformers logs (and sometimes warns) about unused pooler weights; they are
    # expected here, and warnings are errors in the test suite.
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return cls.from_pretrained(folder, **kwargs)  # type: ignore[attr-defined]
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
