"""Which posts get a drafted reply, and why the others do not.

`decide` is a pure function of what the store knows about one post (`Candidate`) and the
watch's `[watch.reply]` policy; the `draft` stage gathers the facts and records the
`Decision`, so `socialbot drafts --why POST_ID` can explain it later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from socialbot.config import ReplyPolicyConfig, WatchConfig
from socialbot.domain import BrandVoice
from socialbot.drafting.spam import abuse_reason, spam_reason

#: Openings of a question whose author left out the question mark: a wh-word, or an
#: auxiliary followed by a pronoun ("can I", "do you", "is there"). A bare auxiliary is
#: not enough: "Parcelly are hiring couriers" is news, not a question.
_INTERROGATIVE = re.compile(
    r"^(?:(?:how|why|what|when|where|who|which)(?![\w'])"
    r"|(?:can|could|does|do|did|is|are|will|would|should|has|have)\s+"
    r"(?:i|you|u|we|they|it|there|my|your|anyone|someone|somebody)(?![\w'])"
    r"|any(?:one|body)\s+(?:know|else|tried|using)\b)",
    re.IGNORECASE,
)
#: Openings that look like questions but introduce a statement ("can we talk about how ...").
_RHETORICAL = re.compile(r"^(?:can we (?:just )?talk ab(?:ou)?t|who else)\b", re.IGNORECASE)
_LEADING_MENTIONS = re.compile(r"^(?:\s*[@u]/?\w+[,:]?\s+)+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the store knows about one classified post, as the policy needs it."""

    platform: str
    post_id: str
    text: str
    created_at: datetime
    author: str | None = None
    url: str | None = None
    in_reply_to: str | None = None
    sentiment: str | None = None
    #: complaint / question / none from the classifier's need head; None without one
    need: str | None = None
    topics: tuple[str, ...] = ()
    #: author of the post this one replies to, when that post is stored
    parent_author: str | None = None
    #: a brand account already replied to this post
    brand_replied: bool = False
    #: created_at of the author's nearest earlier drafted post, if any
    last_drafted_for_author: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """`draft` or `skip`, with a stable `reason` code and a sentence for people."""

    decision: str
    reason: str
    detail: str

    @property
    def drafted(self) -> bool:
        return self.decision == "draft"


def _skip(reason: str, detail: str) -> Decision:
    return Decision("skip", reason, detail)


def brand_handles(policy: ReplyPolicyConfig) -> set[str]:
    return set(policy.handles)  # normalised by the config


def is_question(text: str) -> bool:
    """A question mark, or a sentence opening with a question word ("how do I ...")."""
    if "?" in text:
        return True
    opening = _LEADING_MENTIONS.sub("", text.strip())
    return bool(_INTERROGATIVE.match(opening)) and not _RHETORICAL.match(opening)


def addressed_how(candidate: Candidate, policy: ReplyPolicyConfig) -> str | None:
    """How the post addresses the brand (mention, subreddit, reply), or None."""
    handles = brand_handles(policy)
    mentions = {m.lower() for m in re.findall(r"(?<![\w@])@(\w+)", candidate.text)}
    mentioned = sorted(mentions & handles)
    if mentioned:
        return f"mentions @{mentioned[0]}"
    if candidate.platform == "reddit" and candidate.url:
        for sub in policy.subreddits:
            name = sub.lower().removeprefix("r/")
            if f"/r/{name}/" in candidate.url.lower():
                return f"posted in r/{name}"
    if candidate.parent_author and candidate.parent_author.lower() in handles:
        return f"replies to @{candidate.parent_author}"
    return None


#: skip reasons that follow from the post itself, whatever the classifier reads: what a
#: measure of the classifier's effect on the policy leaves out of recall
RULED_OUT: tuple[str, ...] = ("not_addressed", "retweet", "already_replied", "own_post")


def directly_addressed(detail: str) -> bool:
    """Whether a draft decision's detail (from `decide`, opening with `addressed_how`)
    says the post mentions or replies to a brand account, not just sits in its subreddit."""
    return detail.startswith(("mentions @", "replies to @"))


def decide(candidate: Candidate, policy: ReplyPolicyConfig) -> Decision:
    """Whether `candidate` gets a draft; the first rule that says no gives the reason."""
    author = (candidate.author or "").lower()
    if not policy.enabled:
        return _skip("disabled", "replies are not enabled for this watch")
    if candidate.platform not in policy.platforms:
        return _skip("platform", f"replying on {candidate.platform} is not enabled")
    if author and author in brand_handles(policy):
        return _skip("own_post", f"posted by the brand's own account @{candidate.author}")
    if candidate.text.lstrip().startswith("RT @"):
        return _skip("retweet", "a retweet; the original post is the one to answer")
    if author and author in policy.block_authors:
        return _skip("blocked", f"@{candidate.author} is on the block list")
    how = addressed_how(candidate, policy)
    if how is None:
        return _skip("not_addressed", "does not mention, reply to or post in the brand's space")
    if candidate.brand_replied:
        return _skip("already_replied", "the brand has already replied to this post")
    spam = spam_reason(candidate.text)
    if spam:
        return _skip("spam", f"looks like spam: {spam}")
    abuse = abuse_reason(candidate.text)
    if abuse:
        return _skip("abuse", f"abusive, not answered (don't feed trolls): {abuse}")
    why = _why_reply(candidate, policy)
    if why is None:
        return _skip("no_need", _no_need_detail(candidate, policy))
    if candidate.last_drafted_for_author is not None:
        gap = abs(candidate.created_at - candidate.last_drafted_for_author)
        if gap < timedelta(seconds=policy.author_cooldown):
            return _skip(
                "cooldown",
                f"@{candidate.author} got a draft {_human(gap)} apart from this post "
                f"(cooldown {_human(timedelta(seconds=policy.author_cooldown))})",
            )
    return Decision("draft", why, f"{how}; {_describe_reason(why, candidate)}")


def _why_reply(candidate: Candidate, policy: ReplyPolicyConfig) -> str | None:
    if candidate.need is not None:
        return _why_by_need(candidate, policy)
    # A model without the need head: negative sentiment stands in for a complaint.
    wanted = set(policy.reply_to)
    if wanted & {"complaint", "negative"} and candidate.sentiment == "negative":
        return "negative"
    # Praise ending in "anyone else??" is rhetorical: a question worth answering is not
    # positive (a question with a complaint in it is negative, caught above).
    if (
        "question" in policy.reply_to
        and candidate.sentiment != "positive"
        and is_question(candidate.text)
    ):
        real_topics = [t for t in candidate.topics if t != "other"]
        if real_topics or not policy.question_needs_topic:
            return "question"
    return None


def _why_by_need(candidate: Candidate, policy: ReplyPolicyConfig) -> str | None:
    """The need head decides: complaints and questions get drafts, praise and chatter not.

    A post the sentiment head reads as positive is not answered as a complaint or a
    question: the need head, trained on complaints to brands, also calls praise that
    names an order or a delivery a complaint, and praise rarely needs a reply.
    """
    if candidate.sentiment == "positive":
        return None
    if candidate.need == "complaint" and "complaint" in policy.reply_to:
        return "complaint"
    if candidate.need == "question" and "question" in policy.reply_to:
        real_topics = [t for t in candidate.topics if t != "other"]
        if real_topics or not policy.question_needs_topic:
            return "question"
    if "negative" in policy.reply_to and candidate.sentiment == "negative":
        return "negative"
    return None


def _no_need_detail(candidate: Candidate, policy: ReplyPolicyConfig) -> str:
    sentiment = candidate.sentiment or "unknown"
    if candidate.need is not None:
        if candidate.need != "none" and sentiment == "positive":
            return f"a {candidate.need} by its form, but positive: praise needs no reply"
        if candidate.need == "question":
            return "a question on no watched topic"
        return (f"the classifier reads neither a complaint nor a question (need: "
                f"{candidate.need}, sentiment {sentiment})")
    if "question" in policy.reply_to and is_question(candidate.text):
        if sentiment == "positive":
            return "a rhetorical question in a positive post"
        return f"a question on no watched topic (sentiment {sentiment})"
    return f"neither negative nor a question (sentiment {sentiment})"


def _describe_reason(why: str, candidate: Candidate) -> str:
    topics = ", ".join(t for t in candidate.topics if t != "other") or "no topic"
    if why == "complaint":
        return f"a complaint ({topics})"
    if why == "negative":
        return f"negative sentiment ({topics})"
    return f"asks a question ({topics})"


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def brand_voice(watch: WatchConfig) -> BrandVoice:
    """The generator's BrandVoice for a watch's `[watch.voice]`."""
    voice = watch.voice
    promises = [
        kind
        for kind, allowed in (
            ("refund", voice.may_promise_refunds),
            ("compensation", voice.may_promise_compensation),
            ("discount", voice.may_promise_discounts),
        )
        if allowed
    ]
    return BrandVoice(
        name=voice.name or watch.brand or watch.name,
        tone=voice.tone,
        sign_off=voice.sign_off,
        facts=tuple(voice.facts),
        allowed_links=tuple(voice.allowed_links),
        allowed_promises=tuple(promises),
    )
