"""The demo replay with the real classifier (not the stream's ground truth)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from socialbot.replay import replay_file
from socialbot.store import open_store
from socialbot.watching.views import list_alerts
from tests.monitoring.conftest import REPO, demo_config

#: the shipped artefact, or any classifier folder named by SOCIALBOT_TEST_CLASSIFIER
CLASSIFIER = Path(os.environ.get("SOCIALBOT_TEST_CLASSIFIER", REPO / "models" / "sentiment-minilm"))
INCIDENT_START = datetime(2026, 11, 6, 14, tzinfo=timezone.utc)


@pytest.mark.slow
@pytest.mark.skipif(
    not (CLASSIFIER / "classifier.json").exists(), reason=f"no classifier at {CLASSIFIER} yet"
)
def test_with_the_real_classifier_the_incident_gives_exactly_one_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socialbot.stages as stages

    # The real classify stage; no reply drafting (it is not what this test is about).
    skip = ("socialbot.stages.draft:", "socialbot.stages.post:")
    builders = tuple(b for b in stages.STAGE_BUILDERS if not b.startswith(skip))
    monkeypatch.setattr(stages, "STAGE_BUILDERS", builders)
    cfg = demo_config(tmp_path, classifier={"model": str(CLASSIFIER), "threads": 2})
    store = open_store(cfg)
    try:
        replay_file(cfg, store, "builtin:demo_stream")
        with store.reading() as conn:
            alerts = list_alerts(conn)
    finally:
        store.dispose()
    assert sorted(a["rule"] for a in alerts) == ["negative_spike:delivery"]
    for alert in alerts:  # within two [trends] buckets of the start
        opened = datetime.fromisoformat(alert["opened_at"])
        assert INCIDENT_START < opened <= INCIDENT_START + 2 * timedelta(seconds=cfg.trends.bucket)
