"""The refusal check: a draft that turns the customer away, or refuses and then offers help.

"We can't help you" in the brand's name ends a conversation the customer started, and
"we can't help you ... we'll be here!" says two opposite things at once. A refusal that
names what cannot be done and where to go instead ("we can't discuss accounts on Twitter,
please call ...") is how real brands redirect, and passes.
"""

from __future__ import annotations

import re

from socialbot.drafting.guardrails import Flag

#: Flag code, stable for the store and the moderation UI.
REFUSES = "refuses"

#: the brand as the subject, with the hedges small models put before a refusal
_WE = r"\b(?:we|i)(?:\s+(?:really|just|simply|unfortunately|sadly|currently|honestly))?"
_CANNOT = (
    r"(?:can't|cannot|can not|won't(?: be able to)?|will not(?: be able to)?"
    r"|(?:are|am|'re|'m)\s+(?:not\s+able|unable)\s+to|aren't able to)"
)
_HELP = r"(?:help|assist|support|stand by|do anything|do much|answer)"
_REFUSAL = re.compile(rf"{_WE}\s*{_CANNOT}\s+{_HELP}\b(?:\s+(?:you|u)\b)?", re.IGNORECASE)
#: what follows a refusal that limits it to one thing or one channel: "with mortgages",
#: "over social media", "here"; a refusal without it turns the customer away altogether
_SCOPE = re.compile(
    r"\s*(?:(?:any\s+)?further\s+)?(?:with|on|over|via|through|regarding|about|for|in|by|here|there|this|that|those|these)\b",
    re.IGNORECASE,
)
_AT_ALL = re.compile(r"\bat all\b|\banymore\b", re.IGNORECASE)
#: somewhere else to go: a link, a number, a team, a channel
_REDIRECT = re.compile(
    r"https?://|www\.|\b(?:call|phone|visit|contact|reach out|reach|dm|direct message|message"
    r"|e-?mail|chat|please see|see (?:this|here)|head (?:over )?to|go to|follow|steps|team)\b",
    re.IGNORECASE,
)
#: the brand offering help, as a contradiction needs it after a refusal
_OFFER = re.compile(
    r"\b(?:we|i)(?:\s+(?:can|could|will|would)|'ll|'d)\s+(?:be\s+(?:here|glad|happy)|help|assist"
    r"|sort|fix|look into)|\b(?:we're|we are|i'm|i am)\s+(?:here|happy|glad|always here)"
    r"|\b(?:happy|glad) to (?:help|assist)|\blet us know\b|\breach out\b|\bwe(?:'ll| will) be here",
    re.IGNORECASE,
)
#: telling the customer not to get in touch ("please do not send any text")
_NO_CONTACT = re.compile(
    r"\b(?:do not|don't|never)\s+(?:send|contact|message|dm|reply|respond|reach out|write"
    r"|call|e-?mail|tweet)\b",
    re.IGNORECASE,
)
#: ... unless it is about keeping personal data out of public view, which is good advice
_PRIVATE = re.compile(
    r"\b(?:personal|private|details?|information|info|card|password|account number|address"
    r"|phone number|e-?mail address|publicly|public|in the open)\b",
    re.IGNORECASE,
)
#: "there is no information available for this request": a non-answer, not a reply
_NO_INFORMATION = re.compile(
    r"\b(?:there is|there's|we have|we've got)\s+no\s+information\b"
    r"|\bno\s+information\s+(?:is\s+)?available\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n|\s+[-–—]\s+")


def refusal_flags(text: str) -> list[Flag]:
    """A flag when `text` refuses help outright, tells the customer not to get in touch and
    then offers help, or answers with "no information"; [] otherwise."""
    text = text.replace("’", "'")
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    for index, sentence in enumerate(sentences):
        after = " ".join(sentences[index + 1 :])
        reason = _refusal(sentence, after, text) or _no_contact(sentence, after)
        if reason:
            return [Flag(REFUSES, reason)]
    found = _NO_INFORMATION.search(text)
    if found:
        return [Flag(REFUSES, f"answers with a non-answer: '{found.group(0)}'")]
    return []


def _refusal(sentence: str, after: str, text: str) -> str | None:
    """A reason when `sentence` refuses; `after` is the rest of the draft, and a redirect
    anywhere in `text` (before the refusal too) makes a scoped refusal a redirect."""
    for match in _REFUSAL.finditer(sentence):
        rest = sentence[match.end() :]
        scoped = _SCOPE.match(rest) is not None and not _AT_ALL.search(rest)
        offer = _OFFER.search(rest) or _OFFER.search(after)
        quoted = match.group(0).strip()
        if offer and not scoped:
            return f"refuses, then offers help: '{quoted}' ... '{offer.group(0).strip()}'"
        if not scoped:
            return f"turns the customer away: '{quoted}'"
        if not _REDIRECT.search(text.replace(match.group(0), " ")):
            return f"refuses without saying where to get help: '{quoted}'"
    return None


def _no_contact(sentence: str, after: str) -> str | None:
    found = _NO_CONTACT.search(sentence)
    if found is None or _PRIVATE.search(sentence):
        return None
    offer = _OFFER.search(sentence[found.end() :]) or _OFFER.search(after)
    if offer is None:
        return None
    return (f"tells the customer not to get in touch, then offers help: "
            f"'{found.group(0)}' ... '{offer.group(0).strip()}'")
