"""`{slot}` placeholders in saved replies: which exist, and filling them from a post.

`{handle}` is the author's handle (no @), `{first_name}` a first name read from a handle
written as two names whose first is a given name ("amy_reid", "jo.bloggs" -> "Amy", "Jo";
"moali59" and "neon_owl" give none: socialbot/data/first_names.txt lists the names),
`{brand}` the name the watch speaks for. `{first_name|there}` falls back to "there" when
the slot has no value; a slot without a value or a fallback cannot be filled, and the
saved reply is then not sent as is. Imports nothing from the project, so config can
check saved replies at load.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from importlib import resources

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


@functools.cache
def given_names() -> frozenset[str]:
    """Lower-cased given names (socialbot/data/first_names.txt), read once."""
    text = (resources.files("socialbot") / "data" / "first_names.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def handle_first_word(handle: str | None) -> str | None:
    """The first of the two words a handle like "amy_reid" or "neon_owl" is written as,
    capitalised; None for any other handle. A name a moderator may have greeted it by."""
    match = _NAMED_HANDLE.match(bare_handle(handle or ""))
    return match.group(1).capitalize() if match else None


def first_name(handle: str | None) -> str | None:
    """The first name a handle like "amy_reid" starts with, or None when it does not.

    The first word must be a known given name: a brand greeting @neon_owl as "Hi Neon"
    or @crispy_fern as "Hi Crispy" looks careless, "Hi there" never does.
    """
    word = handle_first_word(handle)
    return word if word is not None and word.lower() in given_names() else None


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
