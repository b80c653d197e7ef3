"""Shared by the drafting and moderation tests: a reply-enabled config, posts with
predictions written straight to the store, and generators that answer without a model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from models.prompting import BrandVoice, DraftRequest
from socialbot.config import Config
from socialbot.domain import Page, Post
from socialbot.store import Store
from socialbot.store.ingest import POSTS, write_page
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
from tests.conftest import make_config

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

TOPICS = [
    {"name": n, "description": f"posts about {n}"}
    for n in ("delivery", "billing", "product_quality", "customer_service", "app_bugs")
]


def reply_config(tmp_path: Path, *, reply: dict[str, Any] | None = None, **sections: Any) -> Config:
    """The demo watch `parcelly` with replies enabled, posting in dry-run."""
    policy = {
        "enabled": True,
        "handles": ["parcelly", "parcelly_official"],
        "subreddits": ["parcelly"],
        "author_cooldown": "1h",
        **(reply or {}),
    }
    watch = {
        "name": "parcelly",
        "brand": "Parcelly",
        "topic": TOPICS,
        "reply": policy,
        "voice": {"allowed_links": ["https://help.parcelly.com"], "sign_off": "^PB"},
    }
    return make_config(tmp_path, watch=[watch], **sections)


class FakeClock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


def add_post(
    store: Store,
    post_id: str,
    text: str,
    *,
    platform: str = "twitter",
    author: str | None = "jane",
    sentiment: str | None = "negative",
    topics: Sequence[str] = ("delivery",),
    in_reply_to: str | None = None,
    url: str | None = None,
    minutes: float = 0,
    watch: str | None = "parcelly",
) -> int:
    """Store a post (and, unless sentiment is None, its prediction); return its row id."""
    post = Post(platform, post_id, text, T0 + timedelta(minutes=minutes), author=author,
                in_reply_to=in_reply_to, url=url)
    with store.transaction() as conn:
        write_page(conn, Page([post]), source="test", kind="replay", watch=watch)
        pk = conn.execute(
            select(POSTS.c.id).where(POSTS.c.platform == platform, POSTS.c.post_id == post_id)
        ).scalar_one()
        if sentiment is not None:
            classify(conn, pk, sentiment, topics, watch)
    return int(pk)


def classify(conn: Any, pk: int, sentiment: str, topics: Sequence[str], watch: str | None) -> None:
    scores = {s: (0.8 if s == sentiment else 0.1) for s in ("negative", "neutral", "positive")}
    names = list(topics) or ["other"]
    conn.execute(insert(PREDICTIONS).values(
        post_pk=pk, sentiment=sentiment, p_negative=scores["negative"],
        p_neutral=scores["neutral"], p_positive=scores["positive"],
        topics=json.dumps([{"name": n, "score": 0.9} for n in names]),
        model_version="truth", watch=watch, classified_at=T0,
    ))
    conn.execute(insert(POST_TOPICS), [{"post_pk": pk, "topic": n, "score": 0.9} for n in names])


class EchoGenerator:
    """Implements the drafter's generator protocol: a polite, distinct reply per post."""

    version = "echo-1"

    def __init__(self, texts: dict[str, list[str]] | None = None) -> None:
        self.texts = texts or {}
        self.calls: list[tuple[list[DraftRequest], int]] = []

    def generate(
        self,
        requests: Sequence[DraftRequest],
        *,
        voice: BrandVoice,
        seed: int = 0,
        max_new_tokens: int = 80,
    ) -> list[str]:
        self.calls.append((list(requests), seed))
        out = []
        for r in requests:
            scripted = self.texts.get(r.text)
            if scripted:
                n = sum(1 for reqs, _ in self.calls for q in reqs if q.text == r.text) - 1
                out.append(scripted[min(n, len(scripted) - 1)])
            else:
                out.append(f"Sorry about that, @{r.author}! We're looking into it (draft v{seed}).")
        return out


def drafted_store(store: Store, config: Config, n: int, *, platform: str = "twitter") -> None:
    """`n` complaints from different authors, each with a pending draft."""
    from socialbot.stages.draft import DraftStage

    for i in range(n):
        url = f"https://www.reddit.com/r/parcelly/comments/{i}/x/" if platform == "reddit" else None
        add_post(store, f"{platform}{i}", f"@parcelly order {i} is late", author=f"user{i}",
                 platform=platform, url=url, minutes=i)
    stage = DraftStage(store, config, generator_factory=EchoGenerator, wall_clock=FakeClock())
    while stage.run_batch():
        pass
