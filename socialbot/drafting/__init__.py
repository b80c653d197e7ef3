"""Drafting replies: guardrails every draft must pass, and the regenerate-until-pass loop.

Policy lives here, not in `models`: the generator only writes text; what may be shown
to a person is decided by `guardrails.check`, and `drafter.draft_replies` retries.
"""

from __future__ import annotations

from socialbot.drafting.drafter import DraftGenerator, DraftResult, draft_replies
from socialbot.drafting.guardrails import Flag, check, sanitise

__all__ = ["DraftGenerator", "DraftResult", "Flag", "check", "draft_replies", "sanitise"]
