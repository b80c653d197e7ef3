"""Guardrails: pure-Python checks every draft passes before a person sees it.

`check` returns the flags a draft raises (empty list = passes); `sanitise` makes the
few safe repairs allowed (whitespace, quotes, trimming an over-long draft to its last
full sentence) and never changes what the draft says otherwise.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from connectors.base import Connector, ConnectorError, platform_connector
from models.prompting import FIRST_SIGN_OFF, PROMPT_MARKERS, system_rules
from socialbot.domain import PLATFORMS, BrandVoice
from socialbot.drafting.wordlists import (
    ASKING,
    BOILERPLATE,
    COMMITMENT,
    INSULTS,
    NEGATION,
    PERSONAL_DATA,
    PRIVATE_CHANNEL,
    PROFANITY,
    PROMISE_WORDS,
)

#: fewer words than this (sign-off aside) say nothing: "Aisha", "Thanks!"
MIN_WORDS = 3

#: Flag codes, stable for the store and the moderation UI.
(EMPTY, TOO_LONG, LINK, PII, CODE, PROFANE, PROMISE, ECHO, REPETITIVE, DUPLICATE, FIGURE,
 PLACEHOLDER, ASKS_PERSONAL, BOILERPLATE_FLAG) = (
    "empty",
    "too_long",
    "link",
    "pii",
    "copied_code",
    "profanity",
    "promise",
    "prompt_echo",
    "repetitive",
    "duplicate",
    "unsupported_figure",
    "placeholder",
    "asks_personal_data",
    "boilerplate",
)


@dataclass(frozen=True, slots=True)
class Flag:
    """Why a draft may not be shown as it is: a stable `code` and a human `reason`."""

    code: str
    reason: str


def flags_json(flags: Iterable[Flag]) -> str:
    """Guardrail flags as `drafts.flags` stores them."""
    return json.dumps([{"code": f.code, "reason": f.reason} for f in flags])


def _words_pattern(entries: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(entries) + r")(?![\w'])", re.IGNORECASE)


_PROFANITY = _words_pattern(PROFANITY)
_INSULT = _words_pattern(INSULTS)
_PROMISES = {kind: _words_pattern(words) for kind, words in PROMISE_WORDS.items()}
_COMMITMENT = _words_pattern(COMMITMENT)
#: words before a promise word searched for a negation ("we can't offer you a refund")
NEGATION_REACH = 5
#: idioms with a negation word that deny nothing ("no worries, your refund is on its way")
_NOT_A_NEGATION = re.compile(r"\bno (?:worries|problem|probs|bother|doubt)\b", re.IGNORECASE)
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
#: Codes (promo, voucher, referral): letters and digits mixed, 4+ characters; a time
#: of day ("10am") is not one.
_CODE = re.compile(r"\b(?=[A-Za-z-]*\d)(?=[\d-]*[A-Za-z])(?!\d{1,2}(?:am|pm)\b)[A-Za-z0-9-]{4,}\b")
#: words in a row shared with the prompt's instructions that make a draft an echo of them
ECHO_WORDS = 6
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"[\w']+")


@cache
def _platform_rules(platform: str) -> type[Connector]:
    """The connector whose limit and counting a reply on `platform` must keep: the
    platform's own, or for an unknown platform the strictest one."""
    try:
        known = platform_connector(platform)
    except ConnectorError:
        known = None
    if known is not None and known.reply_limit is not None:
        return known
    return min((platform_connector(p) for p in PLATFORMS),
               key=lambda cls: cls.reply_limit or float("inf"))


def platform_limit(platform: str) -> int:
    """The longest reply `platform` takes, as `reply_length` counts it."""
    limit = _platform_rules(platform).reply_limit
    assert limit is not None  # _platform_rules only returns a platform with a limit
    return limit


def reply_length(text: str, *, platform: str) -> int:
    """`text`'s length as `platform` counts it (X: a URL is 23, CJK and emoji are 2)."""
    return _platform_rules(platform).reply_length(text)


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
    words = _WORD.findall(text.replace(voice.sign_off, " ") if voice.sign_off else text)
    if len(words) < MIN_WORDS:
        flags.append(Flag(EMPTY, f"the draft says nothing ({len(words)} word(s))"))
    limit, length = platform_limit(platform), reply_length(text, platform=platform)
    if length > limit:
        flags.append(Flag(TOO_LONG, f"{length} characters; {platform} allows {limit}"))
    flags += _link_flags(text, voice.allowed_links)
    flags += _pii_flags(text, post_text)
    flags += _code_flags(text, post_text)
    flags += _echo_flags(text, voice, platform)
    flags += _figure_flags(text, post_text, voice)
    flags += _template_flags(text)
    for pattern, what in ((_PROFANITY, "profanity"), (_INSULT, "an insult")):
        found = sorted({m.group(0).lower() for m in pattern.finditer(text)})
        if found:
            flags.append(Flag(PROFANE, f"contains {what}: {', '.join(found)}"))
    for kind in promised_kinds(text):
        if not voice.may_promise(kind):
            flags.append(
                Flag(PROMISE, f"offers or mentions a {kind}, which {voice.name} does not allow")
            )
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
    if reply_length(text, platform=platform) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}" if kept else sentence
        if (reply_length(candidate, platform=platform) > limit
                or not re.search(r"[.!?…]$", sentence)):
            break
        kept = candidate
    return kept or text


#: A signature at the end of a draft: "^PB", "*SOT", "-Jess", "Signed: *NINA", runs of them.
#: The training replies are signed by their agents' initials, so the model signs with
#: invented ones; the brand's own sign-off replaces them.
_SIGNATURE = re.compile(
    r"(?:[\s/]*(?:signed:?\s*)?(?:[*^~]|(?<=\s)[-–—] ?)(?:[A-Za-z][\w.]{0,15})?\*?)+[\s/*]*$",
    re.IGNORECASE,
)




def sign(draft_text: str, voice: BrandVoice) -> str:
    """The draft up to its first sign-off, with any signature it wrote replaced by the
    voice's `sign_off` (if set).

    A safe repair like `sanitise`: a signature says who answers, which is the brand's
    to choose, not the model's; and it says the reply is over.
    """
    first = FIRST_SIGN_OFF.search(draft_text)
    text = draft_text[: first.start()] if first else draft_text
    text = _SIGNATURE.sub("", text).rstrip()
    if voice.sign_off and text:
        text = f"{text} {voice.sign_off}"
    return text


def promised_kinds(text: str) -> list[str]:
    """The kinds of promise (refund, compensation, discount) `text` makes or offers.

    Naming one is enough ("DM us for a refund" offers one as surely as "we'll refund
    you"), unless the sentence denies it: a negation among the few words before it
    ("we can't offer a refund"), or a sentence that only asks ("have you asked for a
    refund?").
    """
    kinds: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        asks = sentence.rstrip().endswith("?") and not _COMMITMENT.search(sentence)
        for kind, pattern in _PROMISES.items():
            for match in pattern.finditer(sentence):
                lead = _NOT_A_NEGATION.sub(" ", sentence[: match.start()])
                before = _WORD.findall(lead)[-NEGATION_REACH:]
                if asks or _NEGATION.search(" ".join(before)):
                    continue
                if kind not in kinds:
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
    """True when `url` is an allowed page, or under an allowed "prefix/*".

    Small models invent plausible deep links ("help.acme.com/orders/123/refund") that
    lead nowhere, so an entry allows exactly that page (any query or fragment);
    "https://help.acme.com/track/*" allows the pages under /track/. The scheme, "www."
    and a trailing slash are ignored on both sides.
    """
    bare = _bare(url.rstrip(".,!?;:"))
    page = re.split(r"[?#]", bare, maxsplit=1)[0].rstrip("/")
    for entry in allowed:
        if entry.endswith("*"):
            stem = _bare(entry[:-1]).rstrip("/")
            if page == stem or page.startswith(stem + "/"):
                return True
        elif page.lower() == _bare(entry).rstrip("/").lower():
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


def _code_flags(text: str, post_text: str) -> list[Flag]:
    """Promo, voucher or referral codes copied from the post: the brand never hands out
    a code it did not issue (order numbers are the PII check's)."""
    in_post = {c.upper() for c in _CODE.findall(post_text)}
    copied = sorted({c for c in _CODE.findall(text) if c.upper() in in_post})
    if not copied:
        return []
    return [Flag(CODE, f"repeats a code from the customer's post: {', '.join(copied)}")]


#: "your" before it: "send an e-mail to us" asks for nothing of the customer's.
_PERSONAL = re.compile(r"\byour\s+(?:full\s+|current\s+)?(?:" + "|".join(PERSONAL_DATA) + r")\b",
                       re.IGNORECASE)
_ASKING = _words_pattern(ASKING)
_PRIVATE = _words_pattern(PRIVATE_CHANNEL)
_BOILERPLATE = _words_pattern(BOILERPLATE)
#: A slot left for someone to fill: "[address]", "<name>", "{order number}".
_SLOT_NAME = r"[A-Za-z][\w .-]{0,30}"
_PLACEHOLDER = re.compile(rf"\[{_SLOT_NAME}\]|<{_SLOT_NAME}>|\{{{_SLOT_NAME}\}}")


def _template_flags(text: str) -> list[Flag]:
    """What a customer-care template leaves behind: unfilled slots, requests for personal
    data in public, and automated-mail boilerplate the model learned from its training
    replies ("please do not reply to this message")."""
    flags = []
    slots = _PLACEHOLDER.findall(text)
    if slots:
        flags.append(Flag(PLACEHOLDER, f"an unfilled slot: {', '.join(dict.fromkeys(slots))}"))
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        wanted = _PERSONAL.search(sentence)
        if wanted and _ASKING.search(sentence) and not _PRIVATE.search(sentence):
            what = re.sub(r"^your\s+", "", wanted.group(0).lower())
            flags.append(Flag(ASKS_PERSONAL, f"asks in public for the customer's {what}; "
                              "ask by DM"))
            break
    boiler = _BOILERPLATE.search(text)
    if boiler:
        flags.append(Flag(BOILERPLATE_FLAG, f"automated-mail boilerplate: '{boiler.group(0)}'"))
    return flags


#: A figure: a time, amount, duration, percentage or count written with digits.
#: Digits inside a word ("PX123", "abc123") belong to codes and references, which the PII
#: and code checks judge; links are the link check's.
_FIGURE = re.compile(r"(?<![\w/])\d+(?:[.:,]\d+)*")


def _figure_flags(text: str, post_text: str, voice: BrandVoice) -> list[Flag]:
    """Figures the brand never gave the model: "within 2 hours", "a £5 credit", "open
    until 9pm". A small model invents them freely, and a customer holds the brand to
    them. Figures from the voice's facts and links, or quoted from the post, are fine;
    a figure written in words ("two hours") is not caught.
    """
    allowed = _known_figures(" ".join([post_text, *voice.facts, *voice.allowed_links,
                                        voice.sign_off]))
    prose = _URL.sub(" ", _EMAIL.sub(" ", text))
    invented = [
        prose[m.start() : m.end() + len(_next_word(prose[m.end() :]))].strip()
        for m in _FIGURE.finditer(prose)
        if _figure_key(m.group(0)) not in allowed
    ]
    if not invented:
        return []
    return [Flag(FIGURE, "states a figure that is not in the brand's facts or the post: "
                 + ", ".join(dict.fromkeys(invented)))]


def _next_word(rest: str) -> str:
    """The unit after a figure, for the flag's reason: "2" alone says little, "2 hours" does."""
    match = re.match(r"\s?[^\W\d]+|%", rest)
    return match.group(0) if match else ""


def _known_figures(text: str) -> set[str]:
    """Keys of every figure in `text`, and of its parts: "8:00-22:00" allows "8am",
    "22:00" and "10pm"."""
    known: set[str] = set()
    for figure in _FIGURE.findall(text):
        known.add(_figure_key(figure))
        parts = re.split(r"[.:,]", figure)
        known.update(_figure_key(p) for p in parts)
        if ":" in figure and 12 < int(parts[0]) <= 24:
            known.add(str(int(parts[0]) - 12))
    return known


def _figure_key(figure: str) -> str:
    """"8:00" and "8", "1,000" and "1000" name the same figure; "08" is "8"."""
    head = figure.replace(",", "")
    if head.endswith((":00", ".00")):
        head = head[:-3]
    return head.lstrip("0") or "0"


def _echo_flags(text: str, voice: BrandVoice, platform: str) -> list[Flag]:
    """The prompt's own instructions or layout written back into the draft."""
    lowered = text.casefold()
    markers = [m for m in PROMPT_MARKERS if m.casefold() in lowered]
    if markers:
        return [Flag(ECHO, f"copies the prompt's layout: {', '.join(repr(m) for m in markers)}")]
    shared = _grams(lowered) & _rule_grams(voice, platform)
    if not shared:
        return []
    example = " ".join(sorted(shared)[0])
    return [Flag(ECHO, f"repeats the prompt's instructions: '{example} ...'")]


def _grams(text: str) -> set[tuple[str, ...]]:
    """Every run of `ECHO_WORDS` words in (case-folded) `text`."""
    words = _WORD.findall(text)
    return set(zip(*(words[i:] for i in range(ECHO_WORDS)), strict=False))


@lru_cache(maxsize=64)
def _rule_grams(voice: BrandVoice, platform: str) -> frozenset[tuple[str, ...]]:
    """The system message's rule word-runs, built once per voice x platform, not per draft."""
    return frozenset(_grams(system_rules(voice, platform=platform).casefold()))


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
