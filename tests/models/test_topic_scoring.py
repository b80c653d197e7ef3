"""Few-shot topic scoring with a fake embedder, so behaviour is exact."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from models.topics import OTHER, assign_topics, build_index  # noqa: E402
from socialbot.domain import Topic  # noqa: E402

AXES = {"parcel": 0, "courier": 0, "bill": 1, "refund": 1, "app": 2, "weather": 3}


def fake_embed(texts: list[str]) -> torch.Tensor:
    """One axis per concept word: texts about the same thing point the same way."""
    out = torch.full((len(texts), 4), 0.01)
    for row, text in enumerate(texts):
        for word, axis in AXES.items():
            if word in text:
                out[row, axis] += 1.0
    return torch.nn.functional.normalize(out, dim=-1)


TOPICS = [
    Topic("delivery", "parcel delivery", ("courier late", "parcel lost")),
    Topic("billing", "bill problems", ("refund please",)),
    Topic("app", "app crashes"),
]


def test_posts_get_their_topic_best_first_and_other_when_none_fit() -> None:
    index = build_index(TOPICS, fake_embed)
    posts = fake_embed(["my parcel and my bill", "the courier", "nice weather"])
    result = assign_topics(index.similarities(posts), index.names, threshold=0.5, max_topics=3)
    assert {t.name for t in result[0]} == {"delivery", "billing"}
    assert [t.name for t in result[1]] == ["delivery"]
    assert [t.name for t in result[2]] == [OTHER]
    assert all(a.score >= b.score for a, b in zip(result[0], result[0][1:], strict=False))


def test_max_topics_caps_the_list() -> None:
    index = build_index(TOPICS, fake_embed)
    posts = fake_embed(["parcel bill app"])
    result = assign_topics(index.similarities(posts), index.names, threshold=0.1, max_topics=2)
    assert len(result[0]) == 2


def test_a_second_topic_counts_only_near_the_best_one() -> None:
    scores = torch.tensor([[0.80, 0.78, 0.50], [0.80, 0.60, 0.10]])
    names = ["luggage", "booking", "delays"]
    result = assign_topics(scores, names, threshold=0.35, max_topics=3, margin=0.05)
    assert [[t.name for t in r] for r in result] == [["luggage", "booking"], ["luggage"]]
    wide = assign_topics(scores, names, threshold=0.35, max_topics=3)  # no margin given
    assert [[t.name for t in r] for r in wide] == [["luggage", "booking", "delays"],
                                                   ["luggage", "booking"]]


def test_no_topics_means_every_post_is_other() -> None:
    index = build_index([], fake_embed)
    result = assign_topics(index.similarities(fake_embed(["x", "y"])), index.names,
                           threshold=0.3, max_topics=3)
    assert [[t.name for t in r] for r in result] == [[OTHER], [OTHER]]


@pytest.mark.parametrize("names", [("a", "a"), ("other",)])
def test_bad_topic_names_are_refused(names: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        build_index([Topic(n, "d") for n in names], fake_embed)
