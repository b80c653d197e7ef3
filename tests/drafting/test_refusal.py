"""The refusal check: drafts that turn the customer away or contradict themselves are
flagged; refusals that say where to go instead, as real brands write them, are not."""

from __future__ import annotations

import pytest

from socialbot.drafting.refusal import REFUSES, refusal_flags


@pytest.mark.parametrize(
    ("draft", "says"),
    [
        ("Hi there, thanks for reaching out! We can't stand by your side at all - we can't "
         "help you. Let us know what's going on, and we'll be here!", "then offers help"),
        ("Please do not send any text/file. We can assist you here!", "not to get in touch"),
        ("There is no information available for this request. Please reach out to our "
         "customer support support...", "non-answer"),
        ("Sorry, we cannot help you with this.", "where to get help"),
        ("Unfortunately we are unable to assist you. Have a nice day!", "turns the customer away"),
        ("We’re unable to help. DM us and we’ll sort it!", "then offers help"),  # curly quotes
        ("I'm afraid we can't help you any further.", "turns the customer away"),
        ("We have no information about that, sorry.", "non-answer"),
    ],
)
def test_refusals_and_contradictions_are_flagged_with_a_reason(draft: str, says: str) -> None:
    [flag] = refusal_flags(draft)
    assert flag.code == REFUSES
    assert says in flag.reason


@pytest.mark.parametrize(
    "draft",
    [
        # real brand replies: a refusal scoped to one thing, with somewhere to go instead
        "We are unable to assist with Mortgage inquiries over social media. For customer "
        "service, please call 1-800-848-9136.",
        "For all travel questions, please visit https://example.com/travel for information. "
        "We cannot assist with travel inquiries over social media. Thank you!",
        "To see your recovery options visit https://help.example.com/account. We are unable "
        "to assist further through this forum with account recovery issues.",
        "Please don't share your card details here, DM us and we'll help.",
        "Hello, there. This is not from us. Please do not respond and forward the messages "
        "to reportphish@example.com.",
        # a denial that is not a refusal to help
        "We can't offer a refund for this, but we'll chase the courier today.",
        "Sorry to hear that! We're here to help: could you DM us your order number?",
        "Thanks for the tag – we currently don't have that feature yet.",
    ],
)
def test_redirects_and_ordinary_replies_pass(draft: str) -> None:
    assert refusal_flags(draft) == []
