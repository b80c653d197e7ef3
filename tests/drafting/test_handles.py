"""A brand handle is written as people write it ("@Parcelly") and compared as one form."""

from __future__ import annotations

from datetime import UTC, datetime

from socialbot.config import parse_config
from socialbot.domain import normalise_handle
from socialbot.drafting.policy import Candidate, decide

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_handles_in_config_are_held_bare_and_lower_case() -> None:
    config = parse_config({"watch": [{"name": "acme", "reply": {
        "enabled": True, "handles": ["@Parcelly", " Parcelly_Official "],
        "block_authors": ["@Serial_Troll"]}}]})
    policy = config.watch[0].reply
    assert policy.handles == ["parcelly", "parcelly_official"]
    assert policy.block_authors == ["serial_troll"]
    own = Candidate(platform="twitter", post_id="1", text="@jane sorry about that",
                    created_at=NOW, author="PARCELLY", sentiment="negative")
    assert decide(own, policy).reason == "own_post"
    troll = Candidate(platform="twitter", post_id="2", text="@Parcelly you are useless",
                      created_at=NOW, author="serial_troll", sentiment="negative")
    assert decide(troll, policy).reason == "blocked"


def test_normalise_handle() -> None:
    assert normalise_handle("@Amy_Reid") == normalise_handle("amy_reid ") == "amy_reid"
