"""`{slot}` placeholders in saved replies: which exist, and filling them from a post.

`{handle}` is the author's handle (no @), `{first_name}` a first name read from a handle
written as two names ("amy_reid", "jo.bloggs" -> "Amy", "Jo"; "moali59" gives none),
`{brand}` the name the watch speaks for. `{first_name|there}` falls back to "there" when
the slot has no value; a slot without a value or a fallback cannot be filled, and the
saved reply is then not sent as is. Imports nothing from the project, so config can
check saved replies at load.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from socialbot.domain import bare_handle

SLOTS: tuple[str, ...] = ("handle", "first_name", "brand")

_SLOT = re.compile(r"\{([^{}|]*)(?:\|([^{}]*))?\}")
#: two alphabetic names joined by _ or . (digits may follow): the only handles that
#: reliably start with a first name
_NAMED_HANDLE = re.compile(r"^([A-Za-z]{2,15})[_.][A-Za-z]{2,}\d*$")


def slot_errors(template: str) -> list[str]:
    """What is wrong with `template`'s slots, one sentence each (empty when fine)."""
    errors = []
    for match in _SLOT.finditer(template):
        name = match.group(1).strip()
        if name not in SLOTS:
            errors.append(f"unknown slot {{{name}}}; use {', '.join('{' + s + '}' for s in SLOTS)}")
    stray = _SLOT.sub("", template)
    if "{" in stray or "}" in stray:
        errors.append("an unmatched { or }")
    return errors


def first_name(handle: str | None) -> str | None:
    """The first name a handle like "amy_reid" starts with, or None when it does not."""
    match = _NAMED_HANDLE.match(bare_handle(handle or ""))
    return match.group(1).capitalize() if match else None


def fill(template: str, values: Mapping[str, str | None]) -> str | None:
    """`template` with every slot replaced, or None when a slot has neither value nor fallback."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        value = values.get(match.group(1).strip())
        if value:
            return value
        if match.group(2) is not None:
            return match.group(2)
        missing = True
        return ""

    text = _SLOT.sub(one, template)
    return None if missing else text


def post_values(author: str | None, brand: str) -> dict[str, str | None]:
    """Slot values for a post by `author`, answered on behalf of `brand`."""
    handle = bare_handle(author or "") or None
    return {"handle": handle, "first_name": first_name(handle), "brand": brand}
