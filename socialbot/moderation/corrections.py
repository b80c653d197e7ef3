"""A moderator's correction of what the classifier said about the post on screen.

The form starts from the newest label the post already has, else from what the model
said; saving it records all three kinds (sentiment, need, topics) as labels, so a form
saved unchanged confirms the model and counts as agreement. A rejection whose reason
says the post needs no reply records need = none as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from socialbot.store.labels import (
    NEED_VALUES,
    SENTIMENT_VALUES,
    LabelError,
    current_labels_of,
    model_said,
    record_labels,
    topic_names,
    topic_value,
)

#: reasons a moderator may type when rejecting that mean "this post needs no reply"
_NO_REPLY = re.compile(
    r"^\s*(doesn'?t|does not|didn'?t|did not)\s+need\s+a\s+reply\b|^\s*no\s+reply\s+needed\b"
    r"|^\s*needs\s+no\s+reply\b|^\s*not\s+worth\s+a\s+reply\b",
    re.IGNORECASE,
)
#: what the reject box suggests typing
NO_REPLY_REASON = "doesn't need a reply"


def needs_no_reply(reason: str) -> bool:
    """Does a rejection reason say the post needs no reply at all (not just a bad draft)?"""
    return bool(_NO_REPLY.search(reason.replace("’", "'")))


@dataclass(frozen=True, slots=True)
class Correction:
    """What the moderator says the post is."""

    sentiment: str
    need: str
    topics: tuple[str, ...]

    def check(self, known_topics: list[str]) -> None:
        if self.sentiment not in SENTIMENT_VALUES:
            raise LabelError(f"sentiment {self.sentiment!r}: use one of "
                             f"{', '.join(SENTIMENT_VALUES)}")
        if self.need not in NEED_VALUES:
            raise LabelError(f"need {self.need!r}: use one of {', '.join(NEED_VALUES)}")
        unknown = sorted(set(self.topics) - set(known_topics))
        if unknown:
            raise LabelError(f"no topic named {', '.join(unknown)} in this watch")

    def values(self) -> dict[str, str | None]:
        return {"sentiment": self.sentiment, "need": self.need,
                "topic": topic_value(self.topics)}


def starting_point(conn: Connection, platform: str, post_id: str) -> Correction:
    """What the form shows first: the post's newest labels, else what the model said."""
    said = model_said(conn, platform, post_id)
    labelled = {lab.kind: lab.value for lab in current_labels_of(conn, platform, post_id)}

    def pick(kind: str, default: str) -> str:
        return labelled.get(kind) or (said.of(kind) if said else None) or default

    return Correction(pick("sentiment", "neutral"), pick("need", "none"),
                      tuple(sorted(topic_names(pick("topic", "other")))))


def record_correction(conn: Connection, *, platform: str, post_id: str,
                      correction: Correction, known_topics: list[str], moderator: str,
                      now: datetime, source: str = "queue", sample: str = "drafted") -> int:
    """Store the moderator's answer as labels of the post (by default a drafted post,
    corrected in the queue; the dashboard says where and which posts)."""
    correction.check(known_topics)
    return record_labels(conn, platform=platform, post_id=post_id, values=correction.values(),
                         labeller=moderator, source=source, sample=sample, now=now)


def record_no_reply(conn: Connection, *, platform: str, post_id: str, moderator: str,
                    now: datetime, undo: bool = False) -> None:
    """need = none from a "doesn't need a reply" rejection; `undo` withdraws it again."""
    record_labels(conn, platform=platform, post_id=post_id,
                  values={"need": None if undo else "none"}, labeller=moderator,
                  source="reject", sample="drafted", now=now)
