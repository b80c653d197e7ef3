"""Approved history: every reply a moderator approved, found again for similar posts.

Similarity is the cosine of the classifier's own embeddings of the two posts (stored at
classify time), so finding examples costs no model call. An edited approval counts with
the moderator's text: that is the wording the brand chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, select

from socialbot.grounding.vectors import unpack
from socialbot.store.drafts import DRAFTS, DraftStatus
from socialbot.store.ingest import POSTS
from socialbot.store.lifecycle import TAKEN_BY_POSTER
from socialbot.store.predictions import PREDICTIONS

#: every status a draft can have once a moderator approved it
APPROVED: tuple[str, ...] = (DraftStatus.APPROVED.value, *(s.value for s in TAKEN_BY_POSTER))
#: the newest approvals searched per watch: bounds the work as history grows
SEARCHED = 5000
#: below this cosine two posts are about different things (MiniLM puts unrelated short
#: posts around 0.1-0.3, a paraphrase of one complaint above 0.7)
MIN_SIMILARITY = 0.5


@dataclass(frozen=True, slots=True)
class Example:
    """An approved reply and the post it answered, with its similarity to the new post."""

    draft_id: int
    post: str
    reply: str
    similarity: float
    #: who wrote the post the reply answered
    author: str | None = None


def nearest_examples(
    conn: Connection, *, watch: str, embeddings: Sequence[bytes | None], k: int,
    min_similarity: float = MIN_SIMILARITY,
) -> list[list[Example]]:
    """For each embedding, up to `k` approved replies of `watch` to the most similar
    posts, most similar first, one per distinct reply text; [] for a post without one."""
    out: list[list[Example]] = [[] for _ in embeddings]
    asked = [i for i, e in enumerate(embeddings) if e]
    if k <= 0 or not asked:
        return out
    rows = conn.execute(
        select(DRAFTS.c.id, DRAFTS.c.approved_text, POSTS.c.text, POSTS.c.author,
               PREDICTIONS.c.embedding)
        .join(POSTS, POSTS.c.id == DRAFTS.c.post_pk)
        .join(PREDICTIONS, PREDICTIONS.c.post_pk == DRAFTS.c.post_pk)
        .where(DRAFTS.c.watch == watch, DRAFTS.c.status.in_(APPROVED),
               DRAFTS.c.approved_text.is_not(None), PREDICTIONS.c.embedding.is_not(None))
        .order_by(DRAFTS.c.decided_at.desc(), DRAFTS.c.id.desc())
        .limit(SEARCHED)
    ).all()
    # a swapped classifier may embed at another width: only the newest width is compared
    width = len(embeddings[asked[-1]] or b"")
    asked = [i for i in asked if len(embeddings[i] or b"") == width]
    rows = [r for r in rows if len(r.embedding) == width]
    if not rows:
        return out
    history = unpack([r.embedding for r in rows])
    queries = unpack([embeddings[i] or b"" for i in asked])
    similarities = queries @ history.T
    for i, sims in zip(asked, similarities, strict=True):
        seen: set[str] = set()
        for j in np.argsort(-sims, kind="stable"):
            if sims[j] < min_similarity or len(out[i]) == k:
                break
            reply = rows[j].approved_text
            if reply in seen:
                continue
            seen.add(reply)
            out[i].append(Example(int(rows[j].id), rows[j].text, reply, float(sims[j]),
                                  rows[j].author))
    return out
