"""Reply limits come from the connector classes; X's is counted as X counts it."""

from __future__ import annotations

from connectors.reddit import RedditConnector
from connectors.twitter import TwitterConnector
from models.prompting import BrandVoice, system_prompt
from socialbot.drafting.guardrails import TOO_LONG, check, platform_limit, sanitise

VOICE = BrandVoice(name="Parcelly", allowed_links=("https://help.parcelly.com/*",))
POST = "where is my parcel?"


def _too_long(draft: str, platform: str) -> bool:
    flags = check(draft, post_text=POST, platform=platform, voice=VOICE)
    return TOO_LONG in [f.code for f in flags]


def test_a_long_link_counts_23_on_x_so_the_reply_fits() -> None:
    link = "https://help.parcelly.com/track/" + "a" * 260
    draft = f"Sorry your parcel is late. You can follow it here: {link}"
    assert len(draft) > 280
    assert not _too_long(draft, "twitter")


def test_characters_x_counts_twice_make_a_short_reply_too_long() -> None:
    draft = "包裹" * 75 + "。"  # 151 characters that X counts as 302
    assert len(draft) < 280
    assert _too_long(draft, "twitter")
    assert not _too_long(draft, "reddit")


def test_sanitise_trims_to_the_weighted_limit() -> None:
    sentence = "包裹迟到了我们很抱歉."  # 11 characters, 21 as X counts them
    text = " ".join([sentence] * 20)  # 239 characters: under 280 by len(), 439 by X
    assert sanitise(text, platform="twitter") == " ".join([sentence] * 12)  # 263 by X


def test_limits_and_prompts_come_from_the_connector_classes() -> None:
    assert platform_limit("twitter") == TwitterConnector.reply_limit == 280
    assert platform_limit("reddit") == RedditConnector.reply_limit
    assert platform_limit("mastodon") == 280  # an unknown platform gets the strictest
    assert "Keep the reply under 280 characters." in system_prompt(VOICE, platform="twitter")
    assert "Keep the reply a short paragraph." in system_prompt(VOICE, platform="reddit")
