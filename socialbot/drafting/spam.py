"""Small heuristics for posts that must never get a reply: spam, and abuse (don't feed trolls).

They are deliberately conservative: a real complaint with a swear word in it still gets a
draft (a person reads it first); only giveaway spam and insults aimed at people are skipped.
"""

from __future__ import annotations

import re

#: Wording of giveaway / follower / crypto spam. One of these plus a link, or two, is spam.
GIVEAWAY = (
    r"giveaway",
    r"give ?away",
    r"airdrop\w*",
    r"crypto\w*",
    r"usdt",
    r"btc",
    r"bitcoin",
    r"nft\w*",
    r"connect (?:your )?wallet",
    r"wallet",
    r"\d+k? (?:free )?followers",
    r"followers",
    r"dm me",
    r"claim (?:now|here|at|your)",
    r"click (?:here|the link)",
    r"free (?:money|cash|usdt|crypto|gift ?cards?)",
    r"earn \$?\d+",
    r"make money",
    r"(?:work )?from home",
    r"ask me how",
    r"winners?",
    r"prizes?",
)

#: Insults aimed at people, and wishes of harm. A complaint about a thing ("useless app")
#: is not abuse; calling people idiots is.
ABUSE = (
    r"idiots?",
    r"morons?",
    r"imbeciles?",
    r"clowns?",
    r"scum\w*",
    r"retard\w*",
    r"losers?",
    r"cunts?",
    r"f\w*k (?:you|off)",
    r"go (?:to hell|die)",
    r"kill yourself",
    r"hope (?:you|they|the (?:whole )?company|it) (?:all )?(?:go(?:es)? bust|die|burn|rot|fail)",
)

_LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|ly|xyz|me|gg|link|app)"
    r"(?:/\S*)?",
    re.IGNORECASE,
)


def _pattern(entries: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(entries) + r")(?![\w'])", re.IGNORECASE)


_GIVEAWAY = _pattern(GIVEAWAY)
_ABUSE = _pattern(ABUSE)


def spam_reason(text: str) -> str | None:
    """Why `text` looks like spam (links plus giveaway wording), or None."""
    words = sorted({m.group(0).lower() for m in _GIVEAWAY.finditer(text)})
    links = _LINK.findall(text)
    if words and links:
        return f"giveaway wording ({', '.join(words)}) with a link"
    if len(words) >= 2:
        return f"giveaway wording: {', '.join(words)}"
    return None


def abuse_reason(text: str) -> str | None:
    """Why `text` looks abusive (insults aimed at people), or None."""
    found = sorted({m.group(0).lower() for m in _ABUSE.finditer(text)})
    if found:
        return f"insults: {', '.join(found)}"
    return None
