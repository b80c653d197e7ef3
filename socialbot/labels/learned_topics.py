"""Topics that learn from corrections: a post a person labelled with a topic becomes one of
that topic's examples, so topics sharpen without anyone editing config.toml.

Only the label that counts per post is used (the newest; a later "other" or a topic set
without this topic takes the post back out). The newest `per_topic` labelled posts per topic
are kept: scoring compares each post with every example, so the count is what it costs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, or_, select

from socialbot.domain import Topic
from socialbot.store.ingest import POSTS
from socialbot.store.labels import LABELS, topic_names

#: learned examples kept per topic (the newest labelled posts)
MAX_LEARNED = 50

#: (topic label rows, newest topic label id): changes whenever a topic label is given or
#: erased, which is when the learned examples must be read again
LabelMark = tuple[int, int]


def topic_label_mark(conn: Connection) -> LabelMark:
    """A cheap fingerprint of the topic labels, to tell when learned examples may differ."""
    count, newest = conn.execute(
        select(func.count(), func.coalesce(func.max(LABELS.c.id), 0))
        .where(LABELS.c.kind == "topic")
    ).one()
    return int(count), int(newest)


def learned_examples(
    conn: Connection, *, watch: str, topics: Sequence[Topic], includes_unwatched: bool = False,
    per_topic: int = MAX_LEARNED,
) -> dict[str, tuple[str, ...]]:
    """The texts of `watch`'s posts people labelled with each of `topics`, newest label first.

    `includes_unwatched` also reads posts stored without a watch (the default watch's, as
    the classify stage scores them). Texts already among a topic's examples are skipped.
    """
    where = LABELS.c.watch == watch
    if includes_unwatched:
        where = or_(where, LABELS.c.watch.is_(None))
    rows = conn.execute(
        select(LABELS.c.platform, LABELS.c.post_id, LABELS.c.value, POSTS.c.text)
        .join(POSTS, (POSTS.c.platform == LABELS.c.platform)
              & (POSTS.c.post_id == LABELS.c.post_id))
        .where(LABELS.c.kind == "topic", where)
        .order_by(LABELS.c.id)
    )
    newest: dict[tuple[str, str], tuple[str | None, str]] = {}
    for platform, post_id, value, text in rows:
        newest.pop((platform, post_id), None)  # re-insert: dict order becomes label order
        newest[(platform, post_id)] = (value, text)
    known = {t.name: t for t in topics}
    out: dict[str, list[str]] = {name: [] for name in known}
    seen = {name: set(t.examples) for name, t in known.items()}
    for value, text in reversed(newest.values()):
        for name in topic_names(value) & known.keys():
            if len(out[name]) < per_topic and text not in seen[name]:
                out[name].append(text)
                seen[name].add(text)
    return {name: tuple(texts) for name, texts in out.items()}


def with_learned(topics: Sequence[Topic], learned: Mapping[str, Sequence[str]]) -> list[Topic]:
    """`topics` with their learned examples after the configured ones."""
    return [Topic(t.name, t.description, (*t.examples, *learned.get(t.name, ())))
            for t in topics]


@dataclass
class LearningTopics:
    """Each watch's configured topics plus what its labels taught them.

    The labels are read again only when the topic labels changed (one small query per
    call otherwise); an unchanged result is the same Topic tuples, so the classifier's
    embedded-topics cache is hit and nothing is embedded again.
    """

    configured: dict[str, list[Topic]]
    default_watch: str | None = None
    per_topic: int = MAX_LEARNED
    _mark: LabelMark | None = None
    _current: dict[str, list[Topic]] | None = None
    _learned: dict[str, dict[str, int]] | None = None

    def current(self, conn: Connection) -> dict[str, list[Topic]]:
        """Topics per watch, learned examples included."""
        mark = topic_label_mark(conn)
        if self._current is None or mark != self._mark:
            current: dict[str, list[Topic]] = {}
            counts: dict[str, dict[str, int]] = {}
            for watch, topics in self.configured.items():
                learned = learned_examples(
                    conn, watch=watch, topics=topics, per_topic=self.per_topic,
                    includes_unwatched=watch == self.default_watch)
                current[watch] = with_learned(topics, learned)
                counts[watch] = {name: len(texts) for name, texts in learned.items()}
            self._current, self._learned, self._mark = current, counts, mark
        return self._current

    def learned_counts(self, conn: Connection, watch: str) -> dict[str, int]:
        """How many learned examples each of `watch`'s topics has now."""
        self.current(conn)
        assert self._learned is not None
        return dict(self._learned.get(watch, {}))
