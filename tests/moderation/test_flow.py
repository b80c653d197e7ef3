"""The answer half of the flow on the demo stream, through the real stages and daemon loop:
ingest -> classify -> draft -> (queue) -> post, with in-process stand-ins for the models.

The classifier stand-in answers with each demo post's true sentiment and topic (the real
classifier is tested on its own), so this checks what the policy, the drafts, the queue
and the poster do with a correct reading of the stream.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select

from connectors.replay import ReplayConnector
from socialbot.daemon import run_until_drained
from socialbot.domain import Prediction, Topic, TopicScore
from socialbot.moderation.queue import ModerationQueue
from socialbot.stages.classify import ClassifyStage
from socialbot.stages.draft import DraftStage
from socialbot.stages.ingest import IngestStage
from socialbot.stages.post import PostStage
from socialbot.store import open_store
from socialbot.store.drafts import DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.store.tables import AuditRow
from tests.moderation.support import EchoGenerator, FakeClock, reply_config
from tests.monitoring import demo_truth

SENTIMENT = {"praise": "positive", "question": "neutral", "complaint": "negative",
             "noise": "neutral", "spam": "negative", "brand": "neutral"}


class TruthClassifier:
    """The classify stage's model protocol, answering from the demo stream's generator."""

    version = "demo-truth"

    def __init__(self, by_text: dict[str, tuple[str, str | None]]) -> None:
        self.by_text = by_text

    def predict_batch(
        self, texts: list[str], topics: Sequence[Topic] = (), *, batch_size: int = 64
    ) -> list[Prediction]:
        out = []
        for text in texts:
            kind, topic = self.by_text[text]
            sentiment = SENTIMENT[kind]
            scores = {s: (0.9 if s == sentiment else 0.05) for s in SENTIMENT.values()}
            found = [TopicScore(topic, 0.8)] if topic else []
            out.append(Prediction(sentiment, scores, found, self.version))  # type: ignore[arg-type]
        return out


def test_demo_stream_drafts_moderation_and_dry_run_posting(tmp_path: Path) -> None:
    # questions on a topic only, so that with true labels not one chit-chat post is drafted
    config = reply_config(
        tmp_path, reply={"question_needs_topic": True}, drafting={"max_pending": 10_000}
    )
    store = open_store(config)
    truth = demo_truth.kinds()
    by_text: dict[str, tuple[str, str | None]] = {}
    clock = FakeClock()
    ingest = IngestStage(store, ReplayConnector("demo", {"path": "builtin:demo_stream",
                                                         "follow": False}),
                         watch="parcelly", page_size=500)
    stages = [
        ingest,
        ClassifyStage(store, lambda: TruthClassifier(by_text),
                      topics={"parcelly": config.watch[0].topics}, default_watch="parcelly"),
        DraftStage(store, config, generator_factory=EchoGenerator, wall_clock=clock),
        PostStage(store, config, connector_for=lambda _p, _w: None, wall_clock=clock),
    ]
    # the stand-in needs the texts before classify runs: ingest first, then look them up
    run_until_drained(stages[:1], store, threading.Event())
    with store.engine.connect() as conn:
        for platform, post_id, text in conn.execute(
            select(POSTS.c.platform, POSTS.c.post_id, POSTS.c.text)
        ):
            by_text.setdefault(text, truth[(platform, post_id)])
    totals = run_until_drained(stages, store, threading.Event())
    assert totals["ingest:demo"] == 0 and totals["classify"] == 1709

    with store.engine.connect() as conn:
        drafted = conn.execute(
            select(POSTS.c.platform, POSTS.c.post_id, DRAFTS.c.status)
            .join(DRAFTS, DRAFTS.c.post_pk == POSTS.c.id)
        ).all()
    kinds = {truth[(p, i)][0] for p, i, _ in drafted}
    assert kinds == {"complaint", "question"}
    assert {s for _, _, s in drafted} == {"pending"}

    queue = ModerationQueue(store, moderator="ana", clock=clock)
    for n in range(4):
        item = queue.next()
        assert item is not None
        queue.approve(item) if n < 3 else queue.reject(item, "not needed")
    assert run_until_drained(stages, store, threading.Event())["post"] == 3
    with store.engine.connect() as conn:
        statuses = dict(conn.execute(
            select(DRAFTS.c.status, func.count()).group_by(DRAFTS.c.status)).all())
        audit = AuditRow.__table__  # type: ignore[attr-defined]
        actions = [r.action for r in conn.execute(select(audit).order_by(audit.c.id))]
    assert statuses["dry-run"] == 3 and statuses["rejected"] == 1
    assert statuses["pending"] == len(drafted) - 4
    assert actions == (["draft.created"] * len(drafted) + ["draft.approve"] * 3
                       + ["draft.reject"] + ["draft.dry_run"] * 3)
    store.dispose()
