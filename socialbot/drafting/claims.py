"""The unstated-policy check: a draft stating a rule the brand never gave the model.

"We only accept Apple Pay", "refunds take 5-7 days", "we'll reply within 24 hours",
"call 0800 ..." : a small model invents such policies freely and the customer holds the
brand to them. A claim passes when what it names is in the voice's facts or links, or
in `known` texts the brand wrote itself (its saved replies, the approved replies shown to
the model); payment methods and times may also be quoted from the customer's post.
Links are the link check's, figures in digits the figure check's; this one says *which
policy* a draft makes up, which a moderator can judge at a glance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from socialbot.domain import BrandVoice
from socialbot.drafting.guardrails import Flag

#: Flag code, stable for the store and the moderation UI.
UNSTATED_POLICY = "unstated_policy"

#: payment methods by name; "card" alone is too common ("gift card" is a promise's)
_PAYMENT = re.compile(
    r"\b(?:pay ?pal|apple ?pay|google ?pay|amazon ?pay|klarna|afterpay|clearpay|venmo"
    r"|cash ?app|visa|master ?card|amex|american express|maestro|discover card"
    r"|(?:credit|debit) cards?|bank transfers?|wire transfers?|direct debit|cheques?"
    r"|cash on delivery|bitcoin|crypto(?:currency)?)\b",
    re.IGNORECASE,
)
#: what the brand takes: "we only accept ...", "... is not accepted"
_ACCEPTS = re.compile(
    r"\b(?:we|you)\s+(?:only\s+|now\s+|also\s+|currently\s+|no longer\s+|do not\s+|don't\s+)?"
    r"accept\s+(?P<what>(?:[\w-]+\s+){0,2}[\w-]+)"
    r"|\b(?P<subject>[\w-]+)\s+(?:is|are)\s+(?:not\s+|no longer\s+|only\s+)?accepted\b",
    re.IGNORECASE,
)
#: refund / return rules; a single refund offered or declined is the promise check's
_REFUND_RULE = re.compile(
    r"\bnon-?refundable\b"
    r"|\b(?:refund|return|exchange|cancellation)s?\s+(?:policy|window|period)\b"
    r"|\b(?:eligible|qualify|qualifies)\s+for\s+(?:a\s+)?(?:full\s+)?(?:refund|return|exchange"
    r"|replacement)"
    r"|(?<!your )\b(?:refunds|returns|exchanges|cancellations)\s+(?:are|can be|can only be"
    r"|must be|take|usually take|will be)\b"
    r"|\bwe\s+(?:do not|don't|only|never|no longer)\s+(?:offer\s+|give\s+|issue\s+|do\s+)?"
    r"(?:refunds?|returns?|exchanges?|replacements?)\b",
    re.IGNORECASE,
)
_AMOUNT = (r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fourteen"
           r"|twenty-?four|forty-?eight|seventy-?two|a few|\d+(?:\s*[-–]\s*\d+)?)")
#: a deadline the brand commits to
_TIME_PROMISE = re.compile(
    rf"\b(?:within|in the next|under|up to)\s+{_AMOUNT}\s*(?:business\s+|working\s+)?"
    r"(?:minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?)\b"
    r"|\bwithin the (?:hour|day|week)\b"
    r"|\bby (?:tomorrow|tonight|end of (?:the )?(?:day|week)|the end of (?:the )?(?:day|week)"
    r"|eod|monday|tuesday|wednesday|thursday|friday|saturday|sunday|next week)\b"
    r"|\b(?:same|next)[- ](?:day|business day|working day)\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: a number to call: 7+ digits written with separators, or 10+ in a run (shorter bare
#: runs are order numbers and figures)
_PHONE = re.compile(r"(?<![\w/])\+?\d[\d\s().-]{5,}\d(?![\w/])")


def policy_flags(
    text: str, *, post_text: str, voice: BrandVoice, known: Sequence[str] = ()
) -> list[Flag]:
    """A flag naming every policy `text` states that the voice's facts and links and the
    `known` texts do not contain; [] when there is none."""
    grounds = " ".join([*voice.facts, *voice.allowed_links, *known])
    with_post = f"{grounds} {post_text}"
    claims: list[str] = []
    for match in _PAYMENT.finditer(text):
        if not _contains(with_post, match.group(0)):
            claims.append(f"takes payment by {match.group(0)}")
    for match in _ACCEPTS.finditer(text):
        what = match.group("what") or match.group("subject")
        if not (_contains(grounds, "accept") and _contains(grounds, _head(what))):
            claims.append(f"says what is accepted: '{match.group(0)}'")
    for match in _REFUND_RULE.finditer(text):
        if _rule_word(match.group(0)) not in grounds.lower():
            claims.append(f"states a refund or return rule: '{match.group(0)}'")
    for match in _TIME_PROMISE.finditer(text):
        if not _contains(with_post, match.group(0)):
            claims.append(f"promises a time: '{match.group(0)}'")
    for email in _EMAIL.findall(text):
        if not _contains(f"{grounds} {post_text}", email):
            claims.append(f"gives an e-mail address: {email}")
    known_numbers = {_digits(p) for p in _PHONE.findall(with_post)}
    for phone in _PHONE.findall(_EMAIL.sub(" ", text)):
        digits = _digits(phone)
        if _is_phone(phone) and not any(digits[-9:] in k for k in known_numbers):
            claims.append(f"gives a phone number: {phone.strip()}")
    if not claims:
        return []
    return [Flag(UNSTATED_POLICY, "states a policy the brand's facts do not contain: "
                 + "; ".join(dict.fromkeys(claims)))]


def _contains(text: str, phrase: str) -> bool:
    words = " ".join(phrase.split())
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", " ".join(text.split()),
                     re.IGNORECASE) is not None


def _head(phrase: str) -> str:
    """The word an acceptance claim is about: "only Apple Pay" -> "Apple"."""
    words = [w for w in phrase.split() if w.lower() not in {"only", "the", "a", "an", "all"}]
    return words[0] if words else phrase


def _rule_word(claim: str) -> str:
    """The policy a rule is about ("refund", "return" ...), as the brand's facts name it."""
    found = re.search(r"refund|return|exchange|replace|cancel", claim, re.IGNORECASE)
    return (found.group(0) if found else claim).lower()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_phone(candidate: str) -> bool:
    digits = _digits(candidate)
    return len(digits) >= 10 or (len(digits) >= 7 and not candidate.strip().isdigit())
