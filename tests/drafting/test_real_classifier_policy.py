"""The reply policy on the demo stream read by the real classifier (not the ground truth).

No text is generated here (that is not what this test is about): the draft stage only
decides. The hard rules hold whatever the classifier says; the share of drafts going to
complaints and questions measures how far its mistakes carry into the queue.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from socialbot.drafting.policy import RULED_OUT
from socialbot.replay import replay_file
from socialbot.stages.draft import DraftStage
from socialbot.store import open_store
from socialbot.store.drafts import DRAFT_DECISIONS
from socialbot.store.ingest import POSTS
from tests.moderation.support import EchoGenerator, reply_config
from tests.monitoring import demo_truth

REPO = Path(__file__).resolve().parents[2]
#: the shipped artefact, or any classifier folder named by SOCIALBOT_TEST_CLASSIFIER
CLASSIFIER = Path(os.environ.get("SOCIALBOT_TEST_CLASSIFIER", REPO / "models" / "sentiment-minilm"))


@pytest.mark.slow
@pytest.mark.skipif(
    not (CLASSIFIER / "classifier.json").exists(), reason=f"no classifier at {CLASSIFIER} yet"
)
def test_with_the_real_classifier_drafts_go_to_complaints_and_questions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socialbot.stages as stages

    keep = ("socialbot.stages.ingest:", "socialbot.stages.classify:")
    monkeypatch.setattr(stages, "STAGE_BUILDERS",
                        tuple(b for b in stages.STAGE_BUILDERS if b.startswith(keep)))
    config = reply_config(tmp_path, classifier={"model": str(CLASSIFIER), "threads": 2})
    store = open_store(config)
    try:
        replay_file(config, store, "builtin:demo_stream")
        deciding = DraftStage(store, config, generator_factory=EchoGenerator)
        while deciding.decide_batch():
            pass
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(POSTS.c.platform, POSTS.c.post_id, DRAFT_DECISIONS.c.decision,
                       DRAFT_DECISIONS.c.reason)
                .join(DRAFT_DECISIONS, DRAFT_DECISIONS.c.post_pk == POSTS.c.id)
            ).all()
    finally:
        store.dispose()
    truth = demo_truth.kinds()
    assert len(rows) == len(truth)  # every post has a decision and a reason
    drafted = [truth[(p, i)][0] for p, i, d, _ in rows if d == "draft"]
    # classifier-independent rules
    assert not {"brand", "spam"} & set(drafted)
    answerable = [truth[(p, i)][0] for p, i, _, r in rows
                  if r not in RULED_OUT]
    wanted = sum(1 for k in answerable if k in ("complaint", "question"))
    hits = sum(1 for k in drafted if k in ("complaint", "question"))
    precision, recall = hits / len(drafted), hits / wanted
    print(f"drafts {len(drafted)}: precision {precision:.2f}, recall {recall:.2f}")
    # shipped sentiment-minilm, 2026-11-24: 455 drafts, precision 0.78, recall 0.80;
    # with the need head (2026-12-06): 530 drafts, precision 0.75, recall 0.89;
    # retrained with brand data and the need head trained with the encoder (2026-12-06,
    # better on every real held-out set): 600 drafts, precision 0.69, recall 0.93. It
    # reads more of the demo's synthetic praise ("refunded me before i even asked") as
    # negative; MODEL_CARD.md says so. The same data trained for the full two epochs
    # in one run (2026-12-06 evening): 555 drafts, precision 0.74, recall 0.92.
    # The floor guards against worse, not the target (0.95 / 0.90).
    assert precision >= 0.70 and recall >= 0.88
