"""Text normalisation shared by training and inference, so both see posts alike.

TweetEval replaced user names with ``@user``; SemEval files keep them and carry
literal ``\\u2019``-style escapes. Posts from the live connectors have neither.
"""

from __future__ import annotations

import html
import re

import emoji

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_MENTION = re.compile(r"(?<![\w@])@\w{1,30}")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")
_KEY_DROP = re.compile(r"[^0-9a-z]+")
_SKIN_TONE = re.compile(r"_(?:light|medium-light|medium|medium-dark|dark)_skin_tone")


def _unescape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    # Lone surrogates cannot be encoded later by the tokenizer; drop them.
    return "" if 0xD800 <= ord(char) <= 0xDFFF else char


def emoji_as_words(text: str) -> str:
    """Spell each emoji as its name ("🔥" -> "fire"), a repeated one only once.

    The encoder's uncased BERT vocabulary has no emoji: each one, or a run of
    them, becomes a single [UNK], though emoji carry much of a post's tone.

    Names are the Unicode CLDR short names the ``emoji`` package carries, so
    "❤️" reads "red heart" and "😂😂😂" reads "face with tears of joy".
    """
    if text.isascii() or emoji.emoji_count(text) == 0:  # isascii: most posts, for free
        return text
    out: list[str] = []
    last = ""
    for token in emoji.analyze(text, non_emoji=True):
        if isinstance(token.value, emoji.EmojiMatch) and token.value.data:
            name = _SKIN_TONE.sub("", str(token.value.data["en"])).strip(":").replace("_", " ")
            if name != last:
                out.append(f" {name} ")
            last = name
        else:
            out.append(token.chars)
            last = last if token.chars.isspace() else ""
    return "".join(out)


def normalise_text(text: str) -> str:
    """Return `text` as the model was trained to read it.

    Decodes literal ``\\uXXXX`` escapes and HTML entities, spells emoji as
    words, replaces user names with ``@user`` and links with ``http``, collapses
    whitespace and strips the CSV-style outer quotes some corpora carry.
    """
    text = _ESCAPE.sub(_unescape, text)
    text = html.unescape(text)
    text = emoji_as_words(text)
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
