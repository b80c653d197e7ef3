"""Why an alert fired: its most representative posts and the phrases that rose most.

Phrases are ranked by the log-odds ratio with an informative Dirichlet prior
(Monroe, Colaresi & Quinn 2008) between the alert window's posts and the same
kind of posts in the baseline period. Each post counts a phrase once, so one
spammer repeating a word cannot make it "rise".
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from socialbot.domain import normalise_handle
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "don't",
        "for",
        "from",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "it",
        "it's",
        "its",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "im",
        "ive",
        "rt",
        "amp",
        "via",
        "get",
        "got",
        "one",
    ]
)
#: negations carry meaning in complaints ("not arriving"), so they stay in phrases
KEEP = frozenset({"not", "no", "never", "don't", "didn't", "can't", "won't", "still"})
_TOKEN = re.compile(r"[#@]?[a-z0-9][a-z0-9'_-]*")
_URL = re.compile(r"https?://\S+")


def tokens(text: str) -> list[str]:
    """Lower-cased words, hashtags and mentions; URLs dropped."""
    return [t.strip("'-_") for t in _TOKEN.findall(_URL.sub(" ", text.lower())) if t.strip("'-_")]


def phrases(text: str) -> set[str]:
    """The unigrams and bigrams of a post, without stop-word-only phrases."""
    words = tokens(text)
    out = {w for w in words if w not in STOP_WORDS and len(w) > 1 and not w.startswith("@")}
    for a, b in itertools.pairwise(words):
        if a.startswith("@") or b.startswith("@"):
            continue
        a_stop = a in STOP_WORDS and a not in KEEP
        if not a_stop and b not in STOP_WORDS:
            out.add(f"{a} {b}")
    return out


@dataclass(frozen=True, slots=True)
class RisingPhrase:
    phrase: str
    window_posts: int
    baseline_posts: int
    z: float


def rising_phrases(
    window: Sequence[str], baseline: Sequence[str], *, top: int = 8, min_posts: int = 3
) -> list[RisingPhrase]:
    """Phrases over-represented in `window` against `baseline`, by z-scored log-odds."""
    fw: Counter[str] = Counter()
    fb: Counter[str] = Counter()
    for text in window:
        fw.update(phrases(text))
    for text in baseline:
        fb.update(phrases(text))
    nw, nb = sum(fw.values()), sum(fb.values())
    if not nw:
        return []
    all_counts = fw + fb
    n_all = nw + nb
    prior_total = 0.1 * n_all  # the prior shrinks rare phrases towards no change
    scored: list[tuple[float, RisingPhrase]] = []
    for phrase, yw in fw.items():
        if yw < min_posts:
            continue
        yb = fb.get(phrase, 0)
        alpha = prior_total * all_counts[phrase] / n_all
        a0 = prior_total
        delta = math.log((yw + alpha) / (nw + a0 - yw - alpha)) - math.log(
            (yb + alpha) / (nb + a0 - yb - alpha)
        )
        var = 1.0 / (yw + alpha) + 1.0 / (yb + alpha)
        z = delta / math.sqrt(var)
        if z > 1.96:
            scored.append((delta, RisingPhrase(phrase, yw, yb, z)))
    # Ranked by the (shrunk) log-odds itself: distinctive phrases first, z as the filter.
    scored.sort(key=lambda d: (-d[0], d[1].phrase))
    ranked = [p for _, p in scored]
    return _drop_overlaps(ranked)[:top]


def _drop_overlaps(ranked: list[RisingPhrase]) -> list[RisingPhrase]:
    """Keep "tracking stuck" and drop "tracking" when it rose only inside that bigram."""
    bigrams = [p for p in ranked if " " in p.phrase]
    return [
        p
        for p in ranked
        if " " in p.phrase
        or not any(
            p.phrase in b.phrase.split() and b.window_posts * 1.25 >= p.window_posts
            for b in bigrams
        )
    ]


def window_posts(
    conn: Connection,
    watch: str,
    *,
    topic: str,
    negative_only: bool,
    start: datetime,
    end: datetime,
    limit: int = 5000,
    newest_first: bool = False,
    exclude_authors: Sequence[str] = (),
) -> list[Any]:
    """Posts of the watch (and topic) in [start, end) with their negative probability.

    `exclude_authors` (the brand's own accounts) are left out: an explanation
    quotes and counts what customers said, not the brand's apologies.
    """
    query = (
        select(
            POSTS.c.id,
            POSTS.c.platform,
            POSTS.c.post_id,
            POSTS.c.author,
            POSTS.c.text,
            POSTS.c.url,
            POSTS.c.created_at,
            PREDICTIONS.c.p_negative,
            PREDICTIONS.c.sentiment,
        )
        .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
        .where(POSTS.c.created_at >= start, POSTS.c.created_at < end)
        .where(_watch_clause(watch))
        .order_by(
            *(
                (POSTS.c.created_at.desc(), POSTS.c.id.desc())
                if newest_first
                else (POSTS.c.created_at, POSTS.c.id)
            )
        )
        .limit(limit)
    )
    if topic:
        query = query.join(
            POST_TOPICS, (POST_TOPICS.c.post_pk == POSTS.c.id) & (POST_TOPICS.c.topic == topic)
        )
    if negative_only:
        query = query.where(PREDICTIONS.c.sentiment == "negative")
    if exclude_authors:
        lowered = [normalise_handle(a) for a in exclude_authors]
        query = query.where(func.lower(func.coalesce(POSTS.c.author, "")).not_in(lowered))
    return list(conn.execute(query))


def _watch_clause(watch: str) -> Any:
    return func.coalesce(PREDICTIONS.c.watch, POSTS.c.watch, "") == watch


def representative(
    posts: Iterable[Any],
    rising: Sequence[RisingPhrase],
    *,
    top: int = 5,
    negative_first: bool = True,
) -> list[dict[str, Any]]:
    """The posts that best show the incident.

    For negative rules: the most negative posts, ties broken by how many rising
    phrases they use; for volume rules the phrases come first. Near-identical
    texts (retweets, copy-paste, one template) are shown once.
    """
    weights = {p.phrase: p.z for p in rising}
    shown: list[set[str]] = []

    def rank(r: Any) -> tuple[float, float, datetime, int]:
        negativity = -round(float(r.p_negative), 3)
        rise = -sum(weights.get(ph, 0.0) for ph in phrases(r.text))
        first, second = (negativity, rise) if negative_first else (rise, negativity)
        return (first, second, r.created_at, r.id)

    ranked = sorted(posts, key=rank)
    out = []
    for r in ranked:
        words = {w for w in tokens(r.text) if not w.startswith("@") and w != "rt"}
        if any(len(words & other) >= 0.6 * len(words | other) for other in shown):
            continue  # a retweet or near copy of a post already shown
        shown.append(words)
        out.append(
            {
                "platform": r.platform,
                "id": r.post_id,
                "author": r.author,
                "text": r.text,
                "url": r.url,
                "created_at": r.created_at.isoformat(),
                "p_negative": round(float(r.p_negative), 3),
            }
        )
        if len(out) >= top:
            break
    return out
