"""Fixtures for monitoring tests: the demo config on a fresh database, ground-truth classify."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from socialbot.config import Config, parse_config
from socialbot.store import Store, open_store
from socialbot.store.ingest import POSTS
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS

REPO = Path(__file__).resolve().parents[2]
TRUTH_BUILDER = "tests.monitoring.demo_truth:build_truth_stages"


def demo_config(tmp_path: Path, **overrides: Any) -> Config:
    """The repository's config.toml (the demo), on a fresh SQLite file under `tmp_path`."""
    data = tomllib.loads((REPO / "config.toml").read_text())
    data["database"] = {"url": f"sqlite:///{tmp_path / 'demo.db'}"}
    data.update(overrides)
    return parse_config(data, path=tmp_path / "config.toml")


@pytest.fixture
def truth_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every later stage as configured, but classify answers from the demo's ground truth."""
    import socialbot.stages as stages

    builders = tuple(
        TRUTH_BUILDER if b.startswith("socialbot.stages.classify:") else b
        for b in stages.STAGE_BUILDERS
        if not b.startswith(("socialbot.stages.draft:", "socialbot.stages.post:"))
    )
    if TRUTH_BUILDER not in builders:
        builders = (builders[0], TRUTH_BUILDER, *builders[1:])
    monkeypatch.setattr(stages, "STAGE_BUILDERS", builders)


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[tuple[Config, Store]]:
    cfg = demo_config(tmp_path)
    store = open_store(cfg)
    yield cfg, store
    store.dispose()


def add_post(
    conn: Any,
    n: int,
    at: datetime,
    *,
    sentiment: str = "neutral",
    topics: tuple[str, ...] = (),
    watch: str = "acme",
    platform: str = "twitter",
    text: str | None = None,
) -> int:
    """Insert a post and its prediction directly (as the classify stage would)."""
    pk = conn.execute(
        insert(POSTS)
        .values(
            platform=platform,
            post_id=str(n),
            source="test",
            watch=watch,
            text=text or f"post {n}",
            created_at=at,
            ingested_at=at,
            url=f"https://x.com/u/status/{n}",
        )
        .returning(POSTS.c.id)
    ).scalar_one()
    p = {"negative": 0.9, "neutral": 0.1, "positive": 0.05}[sentiment]
    conn.execute(
        insert(PREDICTIONS).values(
            post_pk=pk,
            sentiment=sentiment,
            p_negative=p,
            p_neutral=0.05,
            p_positive=0.05,
            topics="[]",
            model_version="test",
            watch=watch,
            classified_at=datetime.now(timezone.utc),
        )
    )
    for topic in topics or ("other",):
        conn.execute(insert(POST_TOPICS).values(post_pk=pk, topic=topic, score=0.8))
    return int(pk)


def add_posts(
    conn: Any, posts: list[tuple[datetime, str, str]], *, topic: str, author: str | None = None
) -> None:
    """Insert many (created_at, sentiment, text) posts of one topic with their predictions."""
    now = datetime.now(timezone.utc)
    rows = [
        {
            "platform": "twitter",
            "post_id": f"{author or 'b'}{i}",
            "source": "test",
            "watch": "acme",
            "author": author,
            "text": f"{text} {i}",
            "created_at": at,
            "ingested_at": at,
            "url": f"https://x.com/u/status/b{i}",
        }
        for i, (at, _, text) in enumerate(posts)
    ]
    pks = [
        r[0]
        for r in conn.execute(
            insert(POSTS).returning(POSTS.c.id, sort_by_parameter_order=True), rows
        )
    ]
    p_neg = {"negative": 0.9, "neutral": 0.1, "positive": 0.05}
    conn.execute(
        insert(PREDICTIONS),
        [
            {
                "post_pk": pk,
                "sentiment": s,
                "p_negative": p_neg[s],
                "p_neutral": 0.05,
                "p_positive": 0.05,
                "topics": "[]",
                "model_version": "test",
                "watch": "acme",
                "classified_at": now,
            }
            for pk, (_, s, _) in zip(pks, posts, strict=True)
        ],
    )
    conn.execute(insert(POST_TOPICS), [{"post_pk": pk, "topic": topic, "score": 0.8} for pk in pks])
