"""Guardrails: what a moderator would never want to see in a draft gets flagged."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.prompting import BrandVoice
from socialbot.drafting.guardrails import (
    check,
    platform_limit,
    promised_kinds,
    sanitise,
    sign,
)

VOICE = BrandVoice(
    name="Parcelly",
    facts=("Phone support is open 24/7 on 0800 123 456.", "Chat is open 8:00-22:00."),
    allowed_links=("https://help.parcelly.com", "parcel.ly/track/*"),
)
POST = (
    "@Parcelly my parcel PX12345678 never came!! call me on +44 7700 900123 "
    "or mail jane.doe@example.org, order #98765. Does PARCEL25 still work at 10am?"
)


def codes(draft: str, *, post: str = POST, platform: str = "twitter", voice: BrandVoice = VOICE,
          recent: tuple[str, ...] = ()) -> list[str]:
    return [f.code for f in check(draft, post_text=post, platform=platform, voice=voice,
                                  recent=recent)]


@pytest.mark.parametrize(
    "draft",
    [
        "Sorry to hear your parcel hasn't arrived. Could you DM us so we can look into it?",
        "We're on it! Help is here: https://help.parcelly.com/",
        "You can follow it at parcel.ly/track/abc123 and we'll keep you posted.",
        "We can't offer a refund for this, but we'll chase the courier today.",
        "Have you already asked for a refund through the app?",
        "Thanks for your patience, Jane. We'll update you as soon as we hear back.",
        "Our team is available 24/7 on 0800 123 456 if you need us sooner.",
        "Your classic parcel assessment is under way.",  # 'ass' inside words is fine
        "Sorry! Please DM us your order number so we can check.",
        "Please DM us your email address and we'll look into it.",  # privately: fine
        "Sorry, we've updated your delivery address on the order now.",  # asks nothing
        "Please send an e-mail to help@parcelly.com and we'll sort it.",
    ],
)
def test_good_drafts_pass(draft: str) -> None:
    assert codes(draft) == []


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("Aisha", "empty"),
        ("x" * 281, "too_long"),
        ("See https://evil.example.com/phish for help", "link"),
        ("Track it here: https://help.parcelly.com/orders/98765/refund", "link"),  # invented
        ("See https://help.parcelly.com.evil.io/x for help", "link"),
        ("Try www.bit.ly/abc", "link"),
        ("More at parcelly-support.net/help", "link"),
        ("We'll call you on +44 7700 900123 today.", "pii"),
        ("We'll call you on 07700900123 today.", "pii"),
        ("We've written to jane.doe@example.org.", "pii"),
        ("We've written to JANE.DOE@example.org.", "pii"),
        ("We're checking PX12345678 now.", "pii"),
        ("Order #98765 is delayed, sorry.", "pii"),
        ("That's a fucking shame.", "profanity"),
        ("What the shit happened there?", "profanity"),
        ("Don't be an idiot, read the tracking page.", "profanity"),
        ("It's your own fault for missing the courier.", "profanity"),
        ("WTF, sorry about that.", "profanity"),
        ("We'll refund you in full today.", "promise"),
        ("You will receive a full refund within 5 days.", "promise"),
        ("We'd be happy to offer a voucher for the trouble.", "promise"),
        ("We will compensate you for the delay.", "promise"),
        ("Use code SORRY20 for 20% off your next parcel.", "promise"),
        ("Sure, PARCEL25 still works at checkout!", "copied_code"),
        ("Tone: warm and brief. Keep the reply under 280 characters.", "prompt_echo"),
        ("Write the reply. Sorry about that!", "prompt_echo"),
        ("Post by @jane: sorry to hear it", "prompt_echo"),
        ("We've credited to your account a goodwill credit.", "promise"),
        ("I can give you a discount on the next one.", "promise"),
        ("sorry sorry sorry sorry", "repetitive"),
        ("We'll have it with you within 2 hours.", "unsupported_figure"),
        ("Our chat is open until 11pm tonight.", "unsupported_figure"),
        ("Ring us on 0800 999 111 and we'll sort it.", "unsupported_figure"),
        ("Please send the details to [email address] and we'll help.", "placeholder"),
        ("Hi <name>, sorry about that!", "placeholder"),
        ("Please provide your email address so we can assist you.", "asks_personal_data"),
        ("Hi there, what's your postcode? We'll check the route.", "asks_personal_data"),
        ("Could you share your card details here?", "asks_personal_data"),
        ("Please do not reply to this message.", "boilerplate"),
        ("This mailbox is not monitored. Sorry for the wait!", "boilerplate"),
        ("We are looking into it. We are looking into it. We are looking into it.", "repetitive"),
        ("Please DM us the details. Please DM us the details.", "repetitive"),
    ],
)
def test_bad_drafts_are_flagged(draft: str, code: str) -> None:
    assert code in codes(draft)


def test_every_flag_has_a_human_reason() -> None:
    flags = check(
        "We'll refund you, idiot: https://evil.io jane.doe@example.org",
        post_text=POST,
        platform="twitter",
        voice=VOICE,
    )
    assert {f.code for f in flags} == {"promise", "profanity", "link", "pii"}
    assert all(len(f.reason) > 10 for f in flags)
    assert any("evil.io" in f.reason for f in flags)


@pytest.mark.parametrize(
    ("kind", "draft"),
    [
        ("refund", "We'll refund you in full today."),
        ("compensation", "We'd be happy to offer a voucher for the trouble."),
        ("discount", "Use code SORRY20 for 20% off your next parcel."),
    ],
)
def test_promises_pass_when_the_voice_allows_them(kind: str, draft: str) -> None:
    generous = BrandVoice(name="Parcelly", allowed_promises=(kind,))
    assert "promise" not in codes(draft, voice=generous)
    assert "promise" in codes(draft, voice=BrandVoice(name="Parcelly"))


@pytest.mark.parametrize(
    ("platform", "length", "flagged"),
    [
        ("twitter", 280, False),
        ("twitter", 281, True),
        ("reddit", 281, False),
        ("reddit", 10_000, False),
        ("reddit", 10_001, True),
        ("mastodon", 281, True),  # unknown platforms get the strictest limit
    ],
)
def test_platform_length_limits(platform: str, length: int, flagged: bool) -> None:
    draft = ("Thanks for waiting. " * 600)[:length]
    assert ("too_long" in codes(draft, platform=platform)) is flagged


def test_numbers_the_customer_did_not_write_are_not_pii() -> None:
    assert codes("Call us on 0800 123 456 or write to help@parcelly.com.") == []
    # not the customer's data, but a number nobody gave the model: invented, not PII
    assert codes("Your order 12345678 is on its way", post="where is my parcel") == [
        "unsupported_figure"]


@pytest.mark.parametrize(
    "draft",
    [
        "Chat is open 8am to 10pm, pop in and we'll help.",  # the fact's 8:00-22:00
        "Sorry your 3 bags were left outside! DM us and we'll look into it.",  # post's 3
        "Phone us any time, 24/7.",
        "Track it at parcel.ly/track/77 and DM us if it stalls.",  # the link check's
    ],
)
def test_figures_from_the_facts_or_the_post_are_not_invented(draft: str) -> None:
    assert codes(draft, post="@parcelly 3 bags left outside in the rain") == []


def test_an_invented_figure_is_named_with_its_unit() -> None:
    flags = check("We'll refund you within 5 days.", post_text="late", platform="twitter",
                  voice=BrandVoice(name="Parcelly", allowed_promises=("refund",)))
    assert [f.reason for f in flags] == [
        "states a figure that is not in the brand's facts or the post: 5 days"]


def test_identical_to_a_recent_draft_is_a_duplicate() -> None:
    recent = ("Sorry about that! Please DM us your tracking number.",)
    assert "duplicate" in codes("sorry about that please DM us your tracking number", recent=recent)
    assert codes("Sorry about that! We're checking with the courier.", recent=recent) == []


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("We will refund you and send a voucher.", ["refund", "compensation"]),
        ("Refunds are handled by the shop you bought from.", ["refund"]),  # moderator decides
        ("DM us your order number for a refund.", ["refund"]),
        ("No worries, your refund is on its way!", ["refund"]),
        ("Have you asked the shop for a refund?", []),
        ("We're unable to refund this order.", []),
        ("We cannot give discounts on postage. We'll refund the postage though.", ["refund"]),
    ],
)
def test_promised_kinds(text: str, kinds: list[str]) -> None:
    assert promised_kinds(text) == kinds


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('  "Thanks for reaching out!"  ', "Thanks for reaching out!"),
        ("Hi   there.\n\n\n\nBye.", "Hi there.\n\nBye."),
        ("Short reply.", "Short reply."),
    ],
)
def test_sanitise_safe_repairs(raw: str, expected: str) -> None:
    assert sanitise(raw, platform="twitter") == expected


def test_sanitise_trims_to_the_last_full_sentence_within_the_limit() -> None:
    raw = "We're sorry about the delay. " * 9 + "We'll chase the courier and get back to you"
    trimmed = sanitise(raw, platform="twitter")
    assert len(raw) > 280
    assert len(trimmed) <= 280
    assert trimmed.endswith("delay.")
    assert raw.startswith(trimmed)


def test_sanitise_leaves_an_unsplittable_long_draft_for_check_to_flag() -> None:
    raw = "word " * 80
    assert sanitise(raw, platform="twitter") == raw.strip()
    assert "too_long" in codes(sanitise(raw, platform="twitter"))


def test_allow_list_needs_a_path_boundary() -> None:
    assert codes("https://help.parcelly.com") == []
    assert codes("https://help.parcelly.com?x=1") == []
    assert "link" in codes("https://help.parcelly.community/x")
    assert codes("parcel.ly/track/abc123 and parcel.ly/track") == []
    assert "link" in codes("parcel.ly/tracking/abc123")


def test_a_fact_the_voice_gives_may_be_quoted_but_not_the_rules() -> None:
    fact = "Customer support chat is open 8:00-22:00 every day."
    voice = BrandVoice(name="Parcelly", facts=(fact,))
    assert codes(f"{fact} Sorry!", voice=voice) == []
    rule = "Never repeat the customer's phone number, e-mail address"
    assert "prompt_echo" in codes(rule, voice=voice)


def test_times_of_day_are_not_codes() -> None:
    assert "copied_code" not in codes("We'll be there by 10am tomorrow.")


@given(st.text(max_size=400))
def test_check_and_sanitise_never_crash(text: str) -> None:
    cleaned = sanitise(text, platform="twitter")
    flags = check(cleaned, post_text=text, platform="twitter", voice=VOICE)
    assert all(f.code and f.reason for f in flags)
    assert len(cleaned) <= max(len(text), platform_limit("twitter"))


@pytest.mark.parametrize(
    ("raw", "signed"),
    [
        ("Please DM us your order number. *SOT", "Please DM us your order number. ^PB"),
        ("Happy to help! https://help.parcelly.com /support / *M * / ^PB",
         "Happy to help! https://help.parcelly.com /support ^PB"),
        ("We'll check with the courier. -Jess", "We'll check with the courier. ^PB"),
        ("Check your settings. - Alex", "Check your settings. ^PB"),
        ("Sorry about that! ^PB", "Sorry about that! ^PB"),
        ("Signed: *NINASHAH", ""),  # nothing but a signature: empty, so flagged
        ("Order 2-3 days early for Xmas", "Order 2-3 days early for Xmas ^PB"),
        ("Thanks for the heads-up *smiles*", "Thanks for the heads-up ^PB"),
        # a model that signs and runs on: the reply ended at its sign-off
        ("Please submit a ticket here: https://help.parcelly.com *SR artistdata *MS *MS",
         "Please submit a ticket here: https://help.parcelly.com ^PB"),
        ("Happy to help. ^PB Please include your order number. *JBꗕ𒄲SRKS ^PB",
         "Happy to help. ^PB"),
        ("Sorry! *SP* Thank you for reporting this. ^PB éparsément ^PB", "Sorry! ^PB"),
        ("DM us the order number. ^PB𒌗JFSRYBSRDRSRYB ^PB", "DM us the order number. ^PB"),
        ("We're here to assist. *SPFindingsRequest ^PB", "We're here to assist. ^PB"),
        ("*Please* note the *new* link", "*Please* note the *new* link ^PB"),
        ("Sorry for the trouble. -PMKS𒐠MSRBMSMSRBMSKSMSRB ^PB", "Sorry for the trouble. ^PB"),
        ("Next-day slots - UK orders only", "Next-day slots - UK orders only ^PB"),
    ],
)
def test_the_brand_signs_drafts_not_the_model(raw: str, signed: str) -> None:
    assert sign(raw, BrandVoice(name="Parcelly", sign_off="^PB")) == signed


def test_without_a_sign_off_invented_signatures_still_go() -> None:
    assert sign("Sorry! *SOT", BrandVoice(name="Parcelly")) == "Sorry!"
