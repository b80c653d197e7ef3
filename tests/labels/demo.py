"""The demo week, stored and classified by a deliberately imperfect stand-in model, and a
moderator who knows the demo's ground truth: the set-up of the labels tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from connectors.replay import parse_line
from socialbot.config import Config, load_config
from socialbot.domain import SENTIMENTS, Page, Post, Prediction, TopicScore
from socialbot.moderation.corrections import Correction, record_correction
from socialbot.stages.classify import Claimed, write_predictions
from socialbot.store import Store, open_store
from socialbot.store.ingest import POSTS, write_page
from tests.monitoring.demo_truth import PROBS, kinds, truth

TOPICS = ["delivery", "billing", "product_quality", "customer_service", "app_bugs"]
MODEL = "stand-in-70"
NOW = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)


def write_config(tmp_path: Path) -> Path:
    """A config.toml for the demo watch on a fresh SQLite file (the CLI reads a file)."""
    topics = "".join(f'[[watch.topic]]\nname = "{t}"\ndescription = "posts about {t}"\n\n'
                     for t in TOPICS)
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "demo.db"}"\n\n'
                    '[classifier]\nenabled = false\n\n'
                    f'[[watch]]\nname = "parcelly"\nbrand = "Parcelly"\n\n{topics}')
    return path


def true_answer(platform: str, post_id: str) -> Correction:
    """What the demo's generator made the post: its sentiment, need and topic."""
    sentiment, topic = truth()[(platform, post_id)]
    kind, _ = kinds()[(platform, post_id)]
    need = kind if kind in ("complaint", "question") else "none"
    return Correction(sentiment, need, (topic,) if topic else ())


def demo_store(tmp_path: Path, *, error: float = 0.3, seed: int = 7) -> tuple[Config, Store]:
    """Every demo post stored for watch parcelly, classified by a stand-in that gets about
    `error` of each answer wrong (sentiment, need and topic scrambled independently)."""
    config = load_config(write_config(tmp_path))
    store = open_store(config)
    raw = (resources.files("socialbot") / "data" / "demo_stream.jsonl").read_bytes()
    posts = [parse_line(line, source="demo", line_no=n)
             for n, line in enumerate(raw.splitlines(), 1)]
    with store.transaction() as conn:
        write_page(conn, Page([p for p in posts if isinstance(p, Post)]), source="demo",
                   kind="replay", watch="parcelly")
    rng = random.Random(seed)
    with store.transaction() as conn:
        rows = conn.execute(POSTS.select().order_by(POSTS.c.id)).all()
        predictions = []
        for row in rows:
            answer = true_answer(row.platform, row.post_id)
            sentiment = answer.sentiment if rng.random() >= error else rng.choice(
                [s for s in SENTIMENTS if s != answer.sentiment])
            need = answer.need if rng.random() >= error else rng.choice(
                [n for n in ("complaint", "question", "none") if n != answer.need])
            topics = answer.topics if rng.random() >= error else (rng.choice(TOPICS),)
            predictions.append(Prediction(
                sentiment=sentiment, scores=dict(zip(SENTIMENTS, PROBS[sentiment], strict=True)),
                topics=[TopicScore(t, 0.9) for t in topics], model_version=MODEL, need=need,
                need_scores={need: 0.9}))
        write_predictions(conn, [Claimed(r.id, r.text, r.watch) for r in rows], predictions,
                          replace=False)
    return config, store


def moderator_corrects(store: Store, n: int, *, who: str = "ana") -> list[tuple[str, str]]:
    """A moderator gives the true answer for `n` posts that got drafts (complaints and
    questions, and some the bot wrongly thought were), through the queue's correction."""
    with store.reading() as conn:
        keys = [(r.platform, r.post_id) for r in conn.execute(
            POSTS.select().order_by(POSTS.c.created_at))]
    keys = keys[:n]
    with store.transaction() as conn:
        for platform, post_id in keys:
            record_correction(conn, platform=platform, post_id=post_id,
                              correction=true_answer(platform, post_id), known_topics=TOPICS,
                              moderator=who, now=NOW)
    return keys
