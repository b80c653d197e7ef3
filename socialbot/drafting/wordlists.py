"""Words and phrases the guardrails look for: profanity, insults, and promise wording.

Kept apart from the checks so the lists can grow without touching the logic. Entries are
regular expressions matched case-insensitively on word boundaries.
"""

from __future__ import annotations

#: Swearing. Stems end in \w* so inflections match ("fucking", "shitty").
PROFANITY: tuple[str, ...] = (
    r"fuck\w*",
    r"f\*+k\w*",
    r"shit\w*",
    r"bullshit",
    r"crap\w*",
    r"damn\w*",
    r"goddamn\w*",
    r"bitch\w*",
    r"bastard\w*",
    r"ass",
    r"asshole\w*",
    r"arse\w*",
    r"dick\w*head",
    r"piss\w*",
    r"bollocks",
    r"wank\w*",
    r"cunt\w*",
    r"wtf",
    r"stfu",
    r"hell no",
)

#: Words that insult the reader; a brand never calls a customer these.
INSULTS: tuple[str, ...] = (
    r"idiot\w*",
    r"stupid\w*",
    r"moron\w*",
    r"dumb\w*",
    r"imbecile\w*",
    r"loser\w*",
    r"pathetic",
    r"clueless",
    r"incompetent",
    r"ignorant",
    r"shut up",
    r"get lost",
    r"nobody cares",
    r"your (?:own )?fault",
    r"learn to read",
    r"deal with it",
)

#: Kind of promise -> wording that names it. A sentence naming one is a promise when it
#: also carries a commitment (see `COMMITMENT`) and no negation.
PROMISE_WORDS: dict[str, tuple[str, ...]] = {
    "refund": (
        r"refund\w*",
        r"money back",
        r"reimburs\w*",
        r"charge ?back",
    ),
    "compensation": (
        r"compensat\w*",
        r"vouchers?",
        r"gift ?cards?",
        r"credit(?:ed)? (?:to|on|into) your account",
        r"account credit",
        r"goodwill (?:gesture|credit|payment)",
        r"make it up to you",
        r"free (?:of charge|month|months|upgrade|replacement|night|flight|meal)",
        r"on the house",
        r"on us",
    ),
    "discount": (
        r"discount\w*",
        r"\d+ ?% off",
        r"promo(?:tional)? codes?",
        r"coupons?",
        r"price match\w*",
    ),
}

#: Wording that turns a mention into a commitment ("we'll refund", "you will receive").
COMMITMENT: tuple[str, ...] = (
    r"we(?:'ll| will| shall| can| could| would| are going to|'re going to|'d)",
    r"i(?:'ll| will| shall| can| could| would| am going to|'m going to|'d)",
    r"(?:we|i)(?:'ve| have| are| am|'re|'m)? ?(?:happy|glad|pleased) to",
    r"(?:we|i)(?:'ve| have) (?:issued|processed|sent|added|applied|credited|refunded)",
    r"(?:we|i) (?:offer|give|send|issue|process|owe)",
    r"you(?:'ll| will) (?:get|receive|be (?:refunded|compensated|given|sent|credited))",
    r"let us (?:refund|compensate|offer|give|send)",
    r"(?:full|guaranteed|immediate|instant) refund",
    r"here(?:'s| is) (?:a|your)",
    r"enjoy",
    r"use (?:the )?code",
)

#: Wording that makes a sentence deny or merely ask about a promise.
NEGATION: tuple[str, ...] = (
    r"not",
    r"\w+n't",
    r"cannot",
    r"unable",
    r"no",
    r"never",
    r"unfortunately",
)

#: Personal data a reply must never ask for in public (a reply is public; DMs are not).
PERSONAL_DATA: tuple[str, ...] = (
    r"e-?mail(?: address)?",
    r"(?:phone|mobile|contact) number",
    r"(?:home |postal |delivery )?address",
    r"postcode",
    r"(?:card|bank|account|sort code) (?:number|details)",
    r"card details",
    r"password",
    r"date of birth",
)

#: Words that ask the customer for something.
ASKING: tuple[str, ...] = (
    r"provide", r"send", r"share", r"give", r"tell", r"confirm", r"reply with", r"post",
    r"what(?:'s| is)",
)

#: Ways of saying "privately", which make asking for personal data fine.
PRIVATE_CHANNEL: tuple[str, ...] = (
    r"dm", r"dms", r"direct message", r"private message", r"privately", r"in private",
    r"inbox",
)

#: Automated-mail boilerplate the model learned from training replies; never a reply.
BOILERPLATE: tuple[str, ...] = (
    r"do not reply to this (?:message|email|e-mail|tweet)",
    r"please do not reply",
    r"this (?:is an automated|mailbox is not monitored|inbox is not monitored)\w*",
    r"this message was sent automatically",
)
