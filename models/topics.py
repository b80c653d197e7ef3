"""Few-shot topic scoring: compare a post's embedding with each topic's words.

A topic is only a name, a one-line description and a few example phrases, so a
brand adds a topic by editing config, never by retraining. Each topic becomes a
prototype (the normalised mean of its description embedding and its examples'
mean embedding) plus the examples themselves; a post's score for the topic is the
mean of its cosine to the prototype and its best cosine to a single example.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from socialbot.domain import Topic, TopicScore

#: Name of the bucket a post lands in when no topic passes the threshold.
OTHER = "other"

#: Embeds texts as L2-normalised rows, with the same encoder used for posts.
Embedder = Callable[[list[str]], torch.Tensor]


def topic_texts(topic: Topic) -> tuple[str, list[str]]:
    """The description text and example texts a topic is embedded from."""
    name = topic.name.replace("_", " ")
    return f"{name}: {topic.description}".strip(), list(topic.examples)


@dataclass(frozen=True, slots=True)
class TopicIndex:
    """Embedded topics, ready to score many posts with two matrix products."""

    names: tuple[str, ...]
    prototypes: torch.Tensor  # [topics, hidden], normalised
    examples: torch.Tensor  # [examples, hidden], normalised
    owner: torch.Tensor  # [examples] index of the topic each example belongs to

    def similarities(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Return [posts, topics] scores in [-1, 1] for normalised `embeddings`."""
        if not self.names:
            return torch.zeros((len(embeddings), 0))
        embeddings = embeddings.to(self.prototypes.dtype)
        proto = embeddings @ self.prototypes.T
        if self.examples.shape[0] == 0:
            return proto
        per_example = embeddings @ self.examples.T
        best = torch.full_like(proto, -1.0)
        best.scatter_reduce_(1, self.owner.expand(len(embeddings), -1), per_example, "amax")
        has_examples = torch.zeros(len(self.names), dtype=torch.bool)
        has_examples[self.owner] = True
        return torch.where(has_examples, (proto + best) / 2, proto)


def build_index(topics: Sequence[Topic], embed: Embedder) -> TopicIndex:
    """Embed `topics` (descriptions and examples) in one call to `embed`."""
    names = tuple(t.name for t in topics)
    if len(set(names)) != len(names):
        raise ValueError(f"topic names must be unique, got {names}")
    if OTHER in names:
        raise ValueError(f"{OTHER!r} is reserved for posts that match no topic")
    texts: list[str] = []
    owner: list[int] = []
    for index, topic in enumerate(topics):
        description, examples = topic_texts(topic)
        texts.append(description)
        texts.extend(examples)
        owner.extend([index] * len(examples))
    if not texts:
        empty = torch.zeros((0, 0))
        return TopicIndex((), empty, empty, torch.zeros(0, dtype=torch.long))
    vectors = embed(texts).float()
    prototypes, example_rows, cursor = [], [], 0
    for topic in topics:
        desc = vectors[cursor]
        shots = vectors[cursor + 1 : cursor + 1 + len(topic.examples)]
        cursor += 1 + len(topic.examples)
        proto = desc if len(shots) == 0 else desc + torch.nn.functional.normalize(
            shots.mean(0), dim=-1)
        prototypes.append(torch.nn.functional.normalize(proto, dim=-1))
        example_rows.append(shots)
    return TopicIndex(
        names,
        torch.stack(prototypes),
        torch.cat(example_rows) if example_rows else torch.zeros((0, vectors.shape[1])),
        torch.tensor(owner, dtype=torch.long),
    )


def assign_topics(
    scores: torch.Tensor, names: Sequence[str], *, threshold: float, max_topics: int,
    margin: float = 2.0,
) -> list[list[TopicScore]]:
    """Turn [posts, topics] scores into best-first topic lists, ``other`` when none pass.

    Topics after the best must also score within `margin` of it: a post counted under
    every topic it faintly resembles inflates each topic's trend and makes one
    incident fire every topic's rule (the default keeps every topic over `threshold`).
    """
    results: list[list[TopicScore]] = []
    if scores.numel() == 0:
        return [[TopicScore(OTHER, 1.0)] for _ in range(scores.shape[0])]
    values = scores.tolist()
    for row in values:
        ranked = sorted(
            (TopicScore(name, round(score, 4)) for name, score in zip(names, row, strict=True)
             if score >= threshold),
            key=lambda t: -t.score,
        )[:max_topics]
        ranked = [t for t in ranked if t.score >= ranked[0].score - margin]
        if not ranked:
            ranked = [TopicScore(OTHER, round(1.0 - max(max(row), 0.0), 4))]
        results.append(ranked)
    return results
