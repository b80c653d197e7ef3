"""The regenerate-until-pass loop: retries with new seeds, keeps failures with reasons."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from models.prompting import BrandVoice, DraftRequest
from socialbot.drafting import draft_replies

VOICE = BrandVoice(name="Parcelly", allowed_links=("https://help.parcelly.com",))


class ScriptedGenerator:
    """Answers each post from a script: the n-th call for a post gets its n-th text."""

    version = "scripted-1"

    def __init__(self, script: dict[str, list[str]]) -> None:
        self.script = script
        self.calls: list[tuple[list[str], int]] = []

    def generate(
        self,
        requests: Sequence[DraftRequest],
        *,
        voice: BrandVoice,
        seed: int = 0,
        max_new_tokens: int = 80,
    ) -> list[str]:
        self.calls.append(([r.text for r in requests], seed))
        out = []
        for request in requests:
            n = sum(texts.count(request.text) for texts, _ in self.calls) - 1
            answers = self.script[request.text]
            out.append(answers[min(n, len(answers) - 1)])
        return out


def request(text: str, platform: str = "twitter") -> DraftRequest:
    return DraftRequest(text=text, platform=platform, author="jane", sentiment="negative")


def test_passing_drafts_need_one_attempt_in_one_batch() -> None:
    generator = ScriptedGenerator({"a": ["Sorry! DM us."], "b": ["Thanks, we're on it."]})
    results = draft_replies([request("a"), request("b")], generator=generator, voice=VOICE)
    assert [r.text for r in results] == ["Sorry! DM us.", "Thanks, we're on it."]
    assert all(r.passed and r.attempts == 1 for r in results)
    assert generator.calls == [(["a", "b"], 0)]
    assert results[0].model_version == "scripted-1"


def test_failing_draft_is_regenerated_with_a_new_seed_until_it_passes() -> None:
    generator = ScriptedGenerator(
        {
            "a": ["We'll refund you, idiot.", "See https://evil.io", "Sorry! Please DM us."],
            "b": ["Thanks, we're on it."],
        }
    )
    results = draft_replies(
        [request("a"), request("b")], generator=generator, voice=VOICE, max_attempts=3, seed=7
    )
    assert results[0].text == "Sorry! Please DM us."
    assert results[0].passed and results[0].attempts == 3 and results[0].seed == 9
    # only the failing request is regenerated, each time with a different seed
    assert generator.calls == [(["a", "b"], 7), (["a"], 8), (["a"], 9)]


def test_draft_still_failing_is_returned_flagged_not_dropped() -> None:
    generator = ScriptedGenerator(
        {"a": ["We'll refund you, idiot.", "See https://evil.io", "We'll send a voucher."]}
    )
    [result] = draft_replies([request("a")], generator=generator, voice=VOICE, max_attempts=3)
    assert not result.passed
    assert result.attempts == 3
    # the attempt with the fewest flags is kept, latest on ties
    assert result.text == "We'll send a voucher."
    assert [f.code for f in result.flags] == ["promise"]
    assert "refund" not in result.text


def test_sanitised_text_is_what_passes() -> None:
    long = (
        "We're so sorry your parcel is late. The courier scanned it at the Leeds depot on "
        "Monday, and it should have reached you already. Our team has opened a trace "
        "with them this morning. Tracing usually takes two working days. Keep an eye on "
        "your e-mail for updates from us, and we'll chase the courier and"
    )
    generator = ScriptedGenerator({"a": [long]})
    [result] = draft_replies([request("a")], generator=generator, voice=VOICE)
    assert result.passed and result.sanitised
    assert len(result.text) <= 280 and result.raw == long


def test_same_text_for_two_posts_is_a_duplicate_and_retried() -> None:
    generator = ScriptedGenerator(
        {"a": ["Sorry! Please DM us."], "b": ["Sorry! Please DM us.", "Thanks, checking now."]}
    )
    results = draft_replies([request("a"), request("b")], generator=generator, voice=VOICE)
    assert [r.text for r in results] == ["Sorry! Please DM us.", "Thanks, checking now."]
    assert results[1].attempts == 2


def test_recent_drafts_count_as_duplicates() -> None:
    generator = ScriptedGenerator({"a": ["Sorry! Please DM us."]})
    [result] = draft_replies(
        [request("a")], generator=generator, voice=VOICE, max_attempts=2,
        recent=["Sorry! Please DM us."],
    )
    assert [f.code for f in result.flags] == ["duplicate"]


def test_platform_limit_comes_from_the_request() -> None:
    text = (
        "Thanks for the detailed write-up. We have passed it to the delivery team, who "
        "look after the depot your parcel went through. They will check the scans from "
        "Monday and Tuesday, talk to the driver, and work out where it went. If it turns "
        "out the parcel was left in the wrong place, they will arrange a new delivery. "
        "We will post an update in this thread as soon as we hear back from them."
    )
    generator = ScriptedGenerator({"a": [text.strip()]})
    [reddit] = draft_replies([request("a", "reddit")], generator=generator, voice=VOICE)
    assert reddit.passed and reddit.text == text.strip()


def test_no_requests_no_calls() -> None:
    generator = ScriptedGenerator({})
    assert draft_replies([], generator=generator, voice=VOICE) == []
    assert generator.calls == []


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        draft_replies([request("a")], generator=ScriptedGenerator({}), voice=VOICE, max_attempts=0)

