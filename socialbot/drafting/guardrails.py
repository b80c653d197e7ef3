"""Guardrails: pure-Python checks every draft passes before a person sees it.

`check` returns the flags a draft raises (empty list = passes); `sanitise` makes the
few safe repairs allowed (whitespace, quotes, trimming an over-long draft to its last
full sentence) and never changes what the draft says otherwise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.prompting import BrandVoice
from socialbot.drafting.wordlists import COMMITMENT, INSULTS, NEGATION, PROFANITY, PROMISE_WORDS

#: Characters a reply may have, per platform; unknown platforms get the strictest.
PLATFORM_LIMITS: dict[str, int] = {"twitter": 280, "reddit": 10_000}
STRICTEST_LIMIT = min(PLATFORM_LIMITS.values())

#: Flag codes, stable for the store and the moderation UI.
EMPTY, TOO_LONG, LINK, PII, PROFANE, PROMISE, REPETITIVE, DUPLICATE = (
    "empty",
    "too_long",
    "link",
    "pii",
    "profanity",
    "promise",
    "repetitive",
    "duplicate",
)


@dataclass(frozen=True, slots=True)
class Flag:
    """Why a draft may not be shown as it is: a stable `code` and a human `reason`."""

    code: str
    reason: str


def _words_pattern(entries: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(entries) + r")(?![\w'])", re.IGNORECASE)


_PROFANITY = _words_pattern(PROFANITY)
_INSULT = _words_pattern(INSULTS)
_PROMISES = {kind: _words_pattern(words) for kind, words in PROMISE_WORDS.items()}
_COMMITMENT = _words_pattern(COMMITMENT)
_NEGATION = _words_pattern(NEGATION)

_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|ly|gl|me|app|ai|uk|de|fr|us|info|biz|gg|tv)"
    r"(?:/[^\s<>\"')\]]*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
#: Order / ticket / account numbers: a run of 5+ characters holding at least 4 digits.
_REFERENCE = re.compile(r"#?\b(?=(?:[A-Za-z-]*\d){4})[A-Za-z0-9-]{5,}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"[\w']+")


def platform_limit(platform: str) -> int:
    return PLATFORM_LIMITS.get(platform, STRICTEST_LIMIT)


def check(
    draft_text: str,
    *,
    post_text: str,
    platform: str,
    voice: BrandVoice,
    recent: Sequence[str] = (),
) -> list[Flag]:
    """Every reason `draft_text` may not be shown as a reply to `post_text`; [] if none.

    `recent` holds drafts produced lately (for this brand); a draft identical to one of
    them is flagged, so the account never posts the same canned text twice in a row.
    """
    text = draft_text.strip()
    if not text:
        return [Flag(EMPTY, "the draft is empty")]
    flags: list[Flag] = []
    limit = platform_limit(platform)
    if len(text) > limit:
        flags.append(Flag(TOO_LONG, f"{len(text)} characters; {platform} allows {limit}"))
    flags += _link_flags(text, voice.allowed_links)
    flags += _pii_flags(text, post_text)
    for pattern, what in ((_PROFANITY, "profanity"), (_INSULT, "an insult")):
        found = sorted({m.group(0).lower() for m in pattern.finditer(text)})
        if found:
            flags.append(Flag(PROFANE, f"contains {what}: {', '.join(found)}"))
    for kind in promised_kinds(text):
        if not voice.may_promise(kind):
            flags.append(Flag(PROMISE, f"promises a {kind}, which {voice.name} does not allow"))
    repetition = _repetition(text)
    if repetition:
        flags.append(Flag(REPETITIVE, repetition))
    normal = _normalise(text)
    if any(_normalise(other) == normal for other in recent):
        flags.append(Flag(DUPLICATE, "identical to a recent draft"))
    return flags


def sanitise(draft_text: str, *, platform: str) -> str:
    """Safe repairs only: trim whitespace and wrapping quotes, collapse blank runs, and
    cut an over-long draft back to its last full sentence within the platform limit.

    If no full sentence fits, the text is returned uncut, and `check` flags it as too
    long: half a sentence is never passed off as a reply.
    """
    text = draft_text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    limit = platform_limit(platform)
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}" if kept else sentence
        if len(candidate) > limit or not re.search(r"[.!?…]$", sentence):
            break
        kept = candidate
    return kept or text


def promised_kinds(text: str) -> list[str]:
    """The kinds of promise (refund, compensation, discount) `text` makes."""
    kinds: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        if not _COMMITMENT.search(sentence) or _NEGATION.search(sentence):
            continue
        for kind, pattern in _PROMISES.items():
            if pattern.search(sentence) and kind not in kinds:
                kinds.append(kind)
    return kinds


def _link_flags(text: str, allowed: Sequence[str]) -> list[Flag]:
    # E-mail domains look like bare links; the PII check deals with addresses.
    urls = _URL.findall(_EMAIL.sub(" ", text))
    bad = [url for url in urls if not _allowed_link(url, allowed)]
    if not bad:
        return []
    return [Flag(LINK, f"link(s) not on the allow-list: {', '.join(dict.fromkeys(bad))}")]


def _allowed_link(url: str, allowed: Sequence[str]) -> bool:
    """True when `url` starts with an allowed prefix at a path boundary.

    A prefix "https://help.acme.com" allows "https://help.acme.com/x" but not
    "https://help.acme.com.evil.io"; the scheme and "www." are ignored on both sides.
    """
    bare = _bare(url.rstrip(".,!?;:"))
    for prefix in allowed:
        stem = _bare(prefix)
        if bare == stem or (
            bare.startswith(stem) and (stem.endswith("/") or bare[len(stem)] in "/?#")
        ):
            return True
    return False


def _bare(url: str) -> str:
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip(), flags=re.IGNORECASE)


def _pii_flags(text: str, post_text: str) -> list[Flag]:
    """Phone numbers, e-mail addresses and order numbers copied from the customer's post."""
    flags = []
    post_emails = {e.lower() for e in _EMAIL.findall(post_text)}
    copied = sorted({e for e in (x.lower() for x in _EMAIL.findall(text)) if e in post_emails})
    if copied:
        flags.append(Flag(PII, f"repeats the customer's e-mail address: {', '.join(copied)}"))
    post_phones = {_phone_key(p) for p in _phones(post_text)}
    phones = sorted({p for p in _phones(text) if _phone_key(p) in post_phones})
    if phones:
        flags.append(Flag(PII, f"repeats the customer's phone number: {', '.join(phones)}"))
    post_text_no_mail = _EMAIL.sub(" ", post_text)
    references = {r.lstrip("#").upper() for r in _REFERENCE.findall(post_text_no_mail)}
    found = _REFERENCE.findall(_EMAIL.sub(" ", text))
    repeated = sorted({r for r in found if r.lstrip("#").upper() in references})
    if repeated:
        flags.append(Flag(PII, f"repeats a number from the customer's post: {', '.join(repeated)}"))
    return flags


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phones(text: str) -> list[str]:
    """Phone-like runs: written with + or separators, or 10+ bare digits (shorter bare
    runs are more often order numbers, which the reference check covers)."""
    found = []
    for match in _PHONE.findall(text):
        digits = _digits(match)
        if len(digits) >= 10 or (len(digits) >= 7 and not match.isdigit()):
            found.append(match.strip())
    return found


def _phone_key(phone: str) -> str:
    """The last 9 digits: "+44 7700 900123" and "07700 900123" are the same number."""
    return _digits(phone)[-9:]


def _repetition(text: str) -> str | None:
    """A reason when the draft loops on itself, as small models do; else None."""
    words = [w.lower() for w in _WORD.findall(text)]
    for i in range(len(words) - 3):
        if words[i] == words[i + 1] == words[i + 2] == words[i + 3]:
            return f"repeats the word {words[i]!r} four times in a row"
    trigrams = Counter(zip(words, words[1:], words[2:], strict=False))
    if trigrams:
        gram, count = trigrams.most_common(1)[0]
        # A loop covers much of the draft; a long Reddit answer may reuse a phrase.
        if count >= 3 and 3 * count >= len(words) / 5:
            return f"repeats the phrase {' '.join(gram)!r} {count} times"
    sentences = [_normalise(s) for s in _SENTENCE_END.split(text)]
    sentences = [s for s in sentences if len(s.split()) >= 3]
    if len(sentences) != len(set(sentences)):
        return "repeats a sentence"
    return None


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))
