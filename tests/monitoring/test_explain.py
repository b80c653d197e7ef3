"""Why an alert fired: phrases that rose against the baseline, and posts that show it."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from socialbot.watching.explain import phrases, representative, rising_phrases


def test_phrases_keep_negations_and_drop_stop_words_links_and_mentions() -> None:
    got = phrases("@parcelly my orders are NOT arriving, see https://t.co/x #parcellydown")
    assert {"orders", "not arriving", "#parcellydown", "arriving"} <= got
    assert not got & {"my", "are", "@parcelly", "https", "t.co", "see my"}


def test_the_planted_phrase_rises_and_common_words_do_not() -> None:
    baseline = [f"love the fresh bread and quick delivery {i}" for i in range(200)]
    baseline += ["tracking was slow once", "my parcel was late"]
    window = [f"tracking stuck again, order {i} not arriving" for i in range(12)]
    window += ["love the fresh bread", "quick delivery as usual"]
    rising = rising_phrases(window, baseline)
    names = [r.phrase for r in rising]
    assert names[0] in {"tracking stuck", "not arriving", "stuck again"}
    assert "tracking stuck" in names and "not arriving" in names
    assert not {"bread", "fresh bread", "quick delivery", "love"} & set(names)
    top = rising[names.index("tracking stuck")]
    assert (top.window_posts, top.baseline_posts) == (12, 0)


def test_representative_posts_skip_near_copies() -> None:
    at = datetime(2026, 11, 6, 15, tzinfo=timezone.utc)

    def post(i: int, text: str, p: float) -> SimpleNamespace:
        return SimpleNamespace(
            id=i,
            platform="twitter",
            post_id=str(i),
            author=f"u{i}",
            text=text,
            url=f"https://x.com/u/status/{i}",
            created_at=at,
            p_negative=p,
        )

    posts = [
        post(1, "orders not arriving, tracking stuck #parcellydown", 0.97),
        post(2, "RT @a: orders not arriving, tracking stuck #parcellydown", 0.97),
        post(3, "courier never showed and nobody answers", 0.95),
        post(4, "meh", 0.40),
    ]
    shown = representative(posts, rising_phrases([p.text for p in posts], ["hello"] * 20), top=3)
    assert [p["id"] for p in shown] == ["1", "3", "4"]
    assert shown[0]["url"] == "https://x.com/u/status/1"
