"""Drafts by status, with who decided and when; moderators and admins approve, edit or reject
pending ones here through the same claim and lifecycle as the terminal queue, so a draft is
never decided twice, whichever interface a person used."""

from __future__ import annotations

import logging
import uuid

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from socialbot.config import Config
from socialbot.drafting.policy import brand_voice
from socialbot.moderation.listing import list_drafts
from socialbot.moderation.queue import ClaimLost, ModerationQueue, QueueError
from socialbot.store import Store
from socialbot.store.drafts import DRAFT_STATUSES
from socialbot.store.web_users import WebUser
from socialbot.web.auth import checked_form, require_moderator
from socialbot.web.rendering import render

logger = logging.getLogger(__name__)

#: drafts one status tab lists, newest first
LIST_LIMIT = 200
#: the notices a decision redirects with (never the request's own text)
DONE = {"approved": "approved", "edited": "approved with your edit", "rejected": "rejected"}


def drafts_page(request: Request) -> Response:
    status = request.query_params.get("status") or "pending"
    if status not in DRAFT_STATUSES:
        raise HTTPException(400, f"status: use one of {', '.join(DRAFT_STATUSES)}")
    drafts = list_drafts(request.app.state.store, statuses=[status], limit=LIST_LIMIT)
    done, done_id = request.query_params.get("done"), request.query_params.get("id", "")
    notice = (f"Draft {done_id} {DONE[done]}." if done in DONE and done_id.isdigit() else "")
    return render(request, "drafts.html", drafts=drafts, status=status,
                  statuses=DRAFT_STATUSES, notice=notice)


def _draft_id(request: Request) -> int:
    raw = request.path_params["draft_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise HTTPException(404, "There is no such draft.")
    return int(raw)


def _decide(config: Config, store: Store, user: WebUser, draft_id: int, *, action: str,
            text: str | None, reason: str) -> str:
    """Claim the draft for this web user, decide it, give the claim back on failure.

    Returns what was done (a key of DONE); HTTPException 409 when the draft was decided
    already or is open in someone else's queue, 400 when the edit cannot be approved.
    """
    queue = ModerationQueue(
        store, moderator=user.name, claim_timeout=config.moderation.claim_timeout,
        voices={w.name: brand_voice(w) for w in config.watch},
        session=f"{user.name}/web-{uuid.uuid4().hex[:8]}",
    )
    item = queue.take(draft_id)
    if item is None:
        raise HTTPException(409, f"Draft {draft_id} is not pending any more, or someone is "
                                 "deciding it in their queue right now: nothing was changed.")
    try:
        if action == "reject":
            queue.reject(item, reason)
            return "rejected"
        edited = text is not None and text.strip() != item.text
        queue.approve(item, text if edited else None)
        return "edited" if edited else "approved"
    except ClaimLost as exc:
        raise HTTPException(409, str(exc)) from None
    except QueueError as exc:  # an edit that could never be posted, an empty reply
        raise HTTPException(400, str(exc)) from None
    finally:
        queue.release()  # a no-op once decided; frees the draft if the decision failed


async def _decision(request: Request, action: str) -> Response:
    user = require_moderator(request, doing="decide drafts")
    form = await checked_form(request)
    draft_id = _draft_id(request)
    text = form.get("text")
    reason = form.get("reason")
    done = await run_in_threadpool(
        _decide, request.app.state.config, request.app.state.store, user, draft_id,
        action=action, text=text[:10_000] if isinstance(text, str) else None,
        reason=reason[:1000] if isinstance(reason, str) else "")
    return RedirectResponse(f"/drafts?status=pending&done={done}&id={draft_id}",
                            status_code=303)


async def approve(request: Request) -> Response:
    return await _decision(request, "approve")


async def reject(request: Request) -> Response:
    return await _decision(request, "reject")


ROUTES = [
    Route("/drafts", drafts_page),
    Route("/drafts/{draft_id}/approve", approve, methods=["POST"]),
    Route("/drafts/{draft_id}/reject", reject, methods=["POST"]),
]
