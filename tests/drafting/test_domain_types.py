"""The reply domain types are plain data of the core: using them loads no ML package."""

from __future__ import annotations

import subprocess
import sys


def test_the_reply_types_load_nothing_from_models() -> None:
    code = ("import sys\n"
            "from socialbot.domain import BrandVoice, DraftRequest, ReplyExample\n"
            "DraftRequest('where is my parcel?', examples=(ReplyExample('a', 'b'),))\n"
            "BrandVoice('Parcelly', allowed_promises=('refund',))\n"
            "print(sorted(m for m in sys.modules if m == 'models' or m.startswith('models.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_models_still_find_them_where_they_always_did() -> None:
    from models import prompting
    from socialbot import domain

    assert prompting.BrandVoice is domain.BrandVoice
    assert prompting.DraftRequest is domain.DraftRequest
