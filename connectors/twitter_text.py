"""A post's length as X counts it (twitter-text configuration v3), not as `len()` does.

X normalises the text (NFC), counts every URL as 23 characters whatever its length,
an emoji (a whole sequence: skin tone, ZWJ family, flag, keycap) as 2, a code point in
the light ranges below (Latin, Greek, Cyrillic ... and some punctuation) as 1 and any
other code point (CJK, most symbols) as 2. A reply may weigh at most 280.
"""

from __future__ import annotations

import re
import unicodedata

import emoji

#: twitter-text v3: `maxWeightedTweetLength`, `transformedURLLength`, `defaultWeight`
MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
DEFAULT_WEIGHT = 2
#: code point ranges (inclusive) that weigh 1 (twitter-text v3 `ranges`)
LIGHT_RANGES: tuple[tuple[int, int], ...] = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
EMOJI_WEIGHT = 2

# A domain label is 1-63 characters: a longer "domain" is plain text to X, so is not
# shortened. Bare domains (no scheme) count only with a common top-level domain.
_LABEL = r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?"
_TLDS = ("com|net|org|edu|gov|io|co|ly|gl|me|app|ai|uk|de|fr|us|info|biz|gg|tv|jp|ca|au|"
         "nl|es|it|ru|br|in|eu|ch|se|no|dk|fi|be|at|pl|nz|ie|xyz|dev|shop|news|online")
_URL = re.compile(
    r"https?://[^\s<>\"]+?(?=[.,:;!?)\]'\"]*(?:\s|$))"
    rf"|(?<![\w@.-])(?:{_LABEL}\.)+(?:{_TLDS})\b(?![.-]?\w)(?:/[^\s<>\"]*[^\s<>\".,:;!?)\]'])?",
    re.IGNORECASE,
)


def _code_point_weight(char: str) -> int:
    code = ord(char)
    return 1 if any(lo <= code <= hi for lo, hi in LIGHT_RANGES) else DEFAULT_WEIGHT


def weighted_length(text: str) -> int:
    """The length X counts for `text` against `MAX_WEIGHTED_LENGTH`."""
    text = unicodedata.normalize("NFC", text)
    length = 0
    heavy: list[tuple[int, int, int]] = [(m.start(), m.end(), URL_WEIGHT)
                                         for m in _URL.finditer(text)]
    for found in emoji.emoji_list(text):
        start, end = found["match_start"], found["match_end"]
        if not any(s <= start < e for s, e, _ in heavy):
            heavy.append((start, end, EMOJI_WEIGHT))
    heavy.sort()
    at = 0
    for start, end, weight in heavy:
        length += sum(_code_point_weight(c) for c in text[at:start]) + weight
        at = end
    return length + sum(_code_point_weight(c) for c in text[at:])
