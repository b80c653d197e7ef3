"""A poster process for the kill -9 test: posts approved drafts to a fake X API.

    python -m tests.moderation.poster_worker CONFIG_DIR DATABASE_URL BASE_URL [--until-done]

Prints "ready" once the store is open, then runs the post stage until killed (or,
with --until-done, until no draft is approved or posting).
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

import socialbot.stages.post as post
from connectors.twitter import TwitterConnector
from socialbot.store import open_store
from socialbot.store.drafts import DRAFTS, DraftStatus
from tests.connectors.fake_x import ENV
from tests.moderation.support import reply_config


def main(config_dir: str, database_url: str, base_url: str, until_done: bool) -> None:
    # The test kills a poster every second or two, far more often than life does:
    # recovery may take over after 1 s instead of 2 min, and a draft may be
    # interrupted more often than the 3 tries a real poster allows before giving up.
    post.POSTING_LEASE = timedelta(seconds=1)
    post.MAX_POST_ATTEMPTS = 100
    config = reply_config(Path(config_dir), database={"url": database_url}, posting={
        "dry_run": False, "budget": {"twitter": {"per_hour": 10_000, "per_day": 10_000}}})
    store = open_store(config)
    connector = TwitterConnector("x-parcelly", {"query": "parcelly", "timeout": 5.0}, env=ENV,
                                 base_url=base_url)
    stage = post.PostStage(store, config, connector_for=lambda _p, _w: connector)
    print("ready", flush=True)
    while True:
        stage.run_batch()
        if until_done:
            with store.engine.connect() as conn:
                left = conn.execute(select(func.count()).select_from(DRAFTS).where(
                    DRAFTS.c.status.in_([DraftStatus.APPROVED, DraftStatus.POSTING]))
                ).scalar_one()
            if not left:
                break
        time.sleep(0.2)
    store.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], "--until-done" in sys.argv[4:])
