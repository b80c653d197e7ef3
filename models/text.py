"""Text normalisation shared by training and inference, so both see posts alike.

TweetEval replaced user names with ``@user``; SemEval files keep them and carry
literal ``\\u2019``-style escapes. Posts from the live connectors have neither.
"""

from __future__ import annotations

import html
import re

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_MENTION = re.compile(r"(?<![\w@])@\w{1,30}")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")
_KEY_DROP = re.compile(r"[^0-9a-z]+")


def _unescape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    # Lone surrogates cannot be encoded later by the tokenizer; drop them.
    return "" if 0xD800 <= ord(char) <= 0xDFFF else char


def normalise_text(text: str) -> str:
    """Return `text` as the model was trained to read it.

    Decodes literal ``\\uXXXX`` escapes and HTML entities, replaces user names
    with ``@user`` and links with ``http``, collapses whitespace and strips the
    CSV-style outer quotes some corpora carry.
    """
    text = _ESCAPE.sub(_unescape, text)
    text = html.unescape(text)
    text = _URL.sub("http", text)
    text = _MENTION.sub("@user", text)
    text = _SPACE.sub(" ", text).strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].replace('""', '"').strip()
    return text


def overlap_key(text: str) -> str:
    """A loose identity for a tweet, used to find the same tweet in two corpora.

    Lower-cases, drops user names, links and every non-alphanumeric character,
    so quoting, escaping and ``@user`` anonymisation do not hide a duplicate.
    """
    text = _ESCAPE.sub(_unescape, text)
    text = html.unescape(text).lower()
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    return _KEY_DROP.sub("", text)
