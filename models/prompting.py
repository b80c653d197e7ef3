"""What the reply generator is asked: the brand voice, the post and its context, as chat messages.

Training and inference build prompts with the same functions, so a fine-tuned adapter
sees at run time exactly the layout it learned on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# the platform facts (reply limits) live on the connector classes; connectors.base is
# the plug-in base, importing no SDK, so models stays free of platform code
from connectors.base import ConnectorError, platform_connector

# the reply domain types are plain data of the core; imported here for the functions
# below and for callers that always found them here
from socialbot.domain import PROMISE_KINDS, BrandVoice, DraftRequest, ReplyExample

#: A sign-off inside a draft: "^PB", "*SR", "*SP*", "-PMKS" after a space. The reply ends
#: there; what a model writes after signing is not part of it (Gemma 3 270M signs and then
#: runs on: "...help.parcelly.com *SR artistdata *MS", "^PB𒍂SRRS", "-PMKS𒐠MSRBMS..."), so
#: the generator stops decoding at it and the guardrails cut there. A caret is no
#: punctuation English uses; after "*" or a dash two capitals with no space between, so
#: emphasis ("*please* note") and a dash in prose ("- UK orders") are not sign-offs.
FIRST_SIGN_OFF = re.compile(r"(?:\s*\b[Ss]igned:?)?\s(?:\^[A-Za-z]|[*\-–—][A-Z]{2})")

__all__ = ["FIRST_SIGN_OFF", "MAX_EXAMPLES", "PROMISE_KINDS", "PROMPT_MARKERS", "BrandVoice",
           "DraftRequest", "ReplyExample", "chat_messages", "chat_messages_batch", "system_prompt",
           "system_rules", "user_prompt"]

#: Thread context is clipped to the newest turns: a small model loses the post
#: itself when the prompt is mostly history.
MAX_THREAD_TURNS = 4
MAX_TURN_CHARS = 600
#: a platform's reply limit up to this is stated in the prompt; a longer one (Reddit's
#: 10,000) guides nothing, and the reply is asked to stay a short paragraph
STATED_LIMIT_UP_TO = 1000


def system_prompt(voice: BrandVoice, *, platform: str) -> str:
    """The system message: who the model speaks for and the rules it must keep."""
    limit = _length_rule(platform)
    lines = [
        f"You write replies on behalf of {voice.name} to posts on {platform}.",
        f"Tone: {voice.tone}. Keep the reply {limit}.",
        "Never repeat the customer's phone number, e-mail address or order number.",
        "Never insult anyone.",
    ]
    forbidden = [kind for kind in PROMISE_KINDS if not voice.may_promise(kind)]
    if forbidden:
        lines.append(f"Do not promise any {', '.join(forbidden)}.")
    if voice.facts:
        lines.append("Facts you may state: " + " ".join(voice.facts))
    if voice.allowed_links:
        # "https://help.acme.com/track/*" (pages under it) is shown without the star
        links = (link.removesuffix("*") for link in voice.allowed_links)
        lines.append("Links you may use: " + " ".join(links))
    else:
        lines.append("Do not include links.")
    if voice.sign_off:
        lines.append(f"End with: {voice.sign_off}")
    return "\n".join(lines)


def _length_rule(platform: str) -> str:
    try:
        chars = platform_connector(platform).reply_limit
    except ConnectorError:
        chars = None
    if chars is not None and chars <= STATED_LIMIT_UP_TO:
        return f"under {chars} characters"
    return "a short paragraph"


#: lines of the system message a draft may legitimately repeat (facts, links, sign-off)
_QUOTABLE = ("Facts you may state: ", "Links you may use: ", "End with: ")
#: the prompt's own labels; a draft containing one is echoing the prompt, not replying
PROMPT_MARKERS: tuple[str, ...] = (
    "Write the reply",
    "Earlier in the conversation:",
    "Post by @",
    "Facts you may state",
    "Links you may use",
    "End with:",
    "(sentiment ",
    "<|im_",
    "Replies the brand approved",
    "The brand's saved reply",
)
#: examples shown per prompt at most: a small model loses the post behind many of them
MAX_EXAMPLES = 5


def system_rules(voice: BrandVoice, *, platform: str) -> str:
    """The system message's instructions only: what no draft should quote back."""
    lines = system_prompt(voice, platform=platform).splitlines()
    return "\n".join(line for line in lines if not line.startswith(_QUOTABLE))


def user_prompt(request: DraftRequest) -> str:
    """The user message: the brand's earlier replies, the post, its thread, and the
    classifier's reading of it. Without examples or a saved reply the layout is the one
    the shipped adapter was trained on."""
    parts: list[str] = []
    examples = request.examples[:MAX_EXAMPLES]
    if examples:
        parts.append("Replies the brand approved for similar posts:")
        parts.extend(f'- To "{_clip(e.post, limit=200)}": "{_clip(e.reply, limit=300)}"'
                     for e in examples)
    if request.saved_reply:
        saved = _clip(request.saved_reply)
        parts.append(f'The brand\'s saved reply for posts like this: "{saved}"')
    thread = request.thread[-MAX_THREAD_TURNS:]
    if thread:
        parts.append("Earlier in the conversation:")
        parts.extend(f"- {_clip(turn)}" for turn in thread)
    who = f" by @{request.author}" if request.author else ""
    parts.append(f"Post{who}:")
    parts.append(_clip(request.text, limit=4 * MAX_TURN_CHARS))
    notes = []
    if request.sentiment:
        notes.append(f"sentiment {request.sentiment}")
    if request.topics:
        notes.append("topics " + ", ".join(request.topics))
    if notes:
        parts.append("(" + "; ".join(notes) + ")")
    parts.append("Write the reply.")
    return "\n".join(parts)


def chat_messages(request: DraftRequest, voice: BrandVoice) -> list[dict[str, str]]:
    """The conversation handed to the tokenizer's chat template."""
    return [
        {"role": "system", "content": system_prompt(voice, platform=request.platform)},
        {"role": "user", "content": user_prompt(request)},
    ]


def chat_messages_batch(
    requests: Sequence[DraftRequest], voice: BrandVoice
) -> list[list[dict[str, str]]]:
    return [chat_messages(request, voice) for request in requests]


def _clip(text: str, *, limit: int = MAX_TURN_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
