"""The unstated-policy check: payment methods, acceptance, refund rules, deadlines and
contact details a draft states are flagged unless the brand's facts or own replies say so."""

from __future__ import annotations

import pytest

from models.prompting import BrandVoice
from socialbot.drafting.claims import UNSTATED_POLICY, policy_flags

VOICE = BrandVoice(
    name="Parcelly",
    facts=("Customer support chat is open 8:00-22:00 every day in the app.",
           "Order problems are fastest sorted by DM with the order number."),
    allowed_links=("https://help.parcelly.com",),
)


def reason(draft: str, *, post: str = "@parcelly where is my order?", voice: BrandVoice = VOICE,
           known: tuple[str, ...] = ()) -> str:
    flags = policy_flags(draft, post_text=post, voice=voice, known=known)
    assert [f.code for f in flags] in ([], [UNSTATED_POLICY])
    return flags[0].reason if flags else ""


@pytest.mark.parametrize(
    ("draft", "names"),
    [
        ("Please provide us with a payment confirmation or send a DM to the PayPal account. "
         "*Please note that we only accept Apple Pay...", "we only accept Apple Pay"),
        ("Hi! We accept Visa and Mastercard at checkout.", "payment by Visa"),
        ("Cash on delivery orders are not accepted in the app yet.", "is accepted"),
        ("Refunds take 5-7 working days to show on your card.", "refund or return rule"),
        ("Opened items are non-refundable, sorry.", "non-refundable"),
        ("You're eligible for a full refund, just DM us.", "eligible for a full refund"),
        ("We'll get back to you within 24 hours!", "within 24 hours"),
        ("Your order will arrive within the hour.", "within the hour"),
        ("We'll look into it and get back to you by tomorrow.", "by tomorrow"),
        ("We offer next-day delivery on every order.", "next-day"),
        ("Give us a call on 0800 123 4567 and we'll sort it.", "phone number: 0800 123 4567"),
        ("Please email quality@parcelly.com with a photo.", "e-mail address: quality@parcelly.com"),
    ],
)
def test_invented_policies_are_named_in_the_reason(draft: str, names: str) -> None:
    assert names in reason(draft)


@pytest.mark.parametrize(
    "draft",
    [
        "Sorry to hear that! Please DM us your order number and we'll look into it.",
        "Our chat is open 8:00-22:00 in the app if you'd like to talk it through.",
        "Help is here: https://help.parcelly.com",
        "We can't offer a refund for this, but we'll chase the courier today.",  # promise check's
        "Thanks, we've passed this to the team and will update you soon.",
    ],
)
def test_replies_stating_no_new_policy_pass(draft: str) -> None:
    assert reason(draft) == ""


def test_what_the_customer_said_may_be_quoted() -> None:
    post = "@parcelly I paid with PayPal and was told it would come within 2 days"
    assert reason("Sorry your PayPal order didn't come within 2 days! DM us?", post=post) == ""


def test_a_policy_the_brand_wrote_itself_passes() -> None:
    draft = "We'll reply within 24 hours; or call 0800 123 4567. Refunds take 3 days."
    assert reason(draft) != ""
    saved = ("Thanks! We reply within 24 hours, and refunds take 3 days.",)
    facts = BrandVoice(name="Parcelly", facts=("Phone support: 0800-123-4567.",))
    assert reason(draft, voice=facts, known=saved) == ""


def test_the_customers_own_contact_details_are_not_a_policy() -> None:
    # repeating them is the PII check's business, with its own reason
    post = "@parcelly call me on 07700 900123 or mail jane@example.org"
    assert reason("We'll call you on 07700 900123 or mail jane@example.org.", post=post) == ""
