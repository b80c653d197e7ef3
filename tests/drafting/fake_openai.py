"""A fake OpenAI-compatible chat server (`/v1/chat/completions`) for the drafting backend."""

from __future__ import annotations

import json
import re
from collections import deque
from typing import Any

from tests.connectors.conftest import Request, Response

MODEL = "tiny-chat"


def completion(text: str | None) -> dict[str, Any]:
    """A chat completion as OpenAI's API returns it."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def error(status: int, message: str, **headers: str) -> Response:
    return Response(status, {"error": {"message": message, "type": "server_error"}},
                    headers=headers)


class FakeOpenAI:
    """Answers each chat request with a polite reply to the post's author.

    `faults` are answered, in order, instead of the next requests; `replies` maps a
    post's text to the replies to give it, one per request, the last one repeated.
    """

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: deque[Response] = deque()
        self.replies: dict[str, list[str]] = {}
        self.down = False  # every request answered 503, as a server that is restarting

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if request.method != "POST" or request.path != "/v1/chat/completions":
            return error(404, f"no route {request.method} {request.path}")
        if self.faults:
            return self.faults.popleft()
        if self.down:
            return error(503, "loading model")
        body = json.loads(request.body)
        if body.get("model") != MODEL:
            return error(404, f"The model `{body.get('model')}` does not exist.")
        user = body["messages"][-1]["content"]
        post = _post_text(user)
        scripted = self.replies.get(post)
        if scripted:
            n = sum(1 for b in self.bodies() if _post_text(b["messages"][-1]["content"]) == post)
            return Response(200, completion(scripted[min(n, len(scripted)) - 1]))
        author = re.search(r"Post by @(\S+):", user)
        who = f", @{author.group(1)}" if author else ""
        return Response(200, completion(f"Sorry about that{who}! We're looking into it."))

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the chat requests received so far."""
        return [json.loads(r.body) for r in self.requests if r.path == "/v1/chat/completions"]


def _post_text(user_message: str) -> str:
    """The post itself, from the user message `models.prompting.user_prompt` builds."""
    lines = user_message.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Post"))
    return lines[start + 1]
