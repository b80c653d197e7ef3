"""Deciding drafts in the browser: only moderators and admins, only with the CSRF token,
each draft once whichever interface decided it, with the web user's name in the audit log."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from socialbot.config import Config
from socialbot.moderation.queue import ModerationQueue
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS
from socialbot.store.lifecycle import AUDIT
from tests.web.conftest import csrf_of, log_in


def _draft(store: Store, draft_id: int) -> Any:
    with store.reading() as conn:
        return conn.execute(select(DRAFTS).where(DRAFTS.c.id == draft_id)).one()


def _decisions(store: Store, draft_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    with store.reading() as conn:
        rows = conn.execute(select(AUDIT).where(AUDIT.c.subject == f"draft:{draft_id}",
                                                AUDIT.c.action != "draft.created")
                            .order_by(AUDIT.c.id)).all()
    return [(r.actor, r.action, json.loads(r.detail)) for r in rows]


def _pending_page(client: TestClient) -> str:
    response = client.get("/drafts?status=pending")
    assert response.status_code == 200
    return response.text


def test_a_moderator_approves_once_and_the_audit_log_names_them(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    log_in(drafts_app, "ana")
    csrf = csrf_of(_pending_page(drafts_app))
    response = drafts_app.post("/drafts/1/approve", data={"csrf": csrf,
                                                          "text": _draft(store, 1).text})
    assert response.status_code == 200
    assert "Draft 1 approved." in response.text
    row = _draft(store, 1)
    assert (row.status, row.decided_by, row.approved_text) == ("approved", "ana", row.text)
    again = drafts_app.post("/drafts/1/approve", data={"csrf": csrf, "text": row.text})
    assert again.status_code == 409
    assert [(actor, action) for actor, action, _ in _decisions(store, 1)] == [
        ("ana", "draft.approve")]
    assert 'id="draft-1"' not in _pending_page(drafts_app)


def test_an_edit_is_approved_as_written(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    log_in(drafts_app, "root")
    csrf = csrf_of(_pending_page(drafts_app))
    edit = "So sorry @user2, your parcel is on its way today. ^PB"
    drafts_app.post("/drafts/3/approve", data={"csrf": csrf, "text": edit})
    row = _draft(store, 3)
    assert (row.status, row.approved_text, row.decided_by) == ("approved", edit, "root")
    [(actor, action, detail)] = _decisions(store, 3)
    assert (actor, action, detail["text"]) == ("root", "draft.edit_approve", edit)


def test_a_reject_keeps_the_reason(drafts_app: TestClient, drafts: tuple[Config, Store]) -> None:
    _, store = drafts
    log_in(drafts_app, "ana")
    csrf = csrf_of(_pending_page(drafts_app))
    drafts_app.post("/drafts/2/reject", data={"csrf": csrf, "reason": "already answered"})
    row = _draft(store, 2)
    assert (row.status, row.reject_reason, row.decided_by) == ("rejected", "already answered",
                                                               "ana")


def test_a_viewer_sees_no_buttons_and_is_refused(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    log_in(drafts_app, "vic")
    page = _pending_page(drafts_app)
    assert 'id="draft-1"' in page
    assert "/drafts/1/approve" not in page and "/drafts/1/reject" not in page
    csrf = csrf_of(page)  # the logout form's token: a valid token for this session
    for action in ("approve", "reject"):
        response = drafts_app.post(f"/drafts/1/{action}", data={"csrf": csrf, "text": "hi"})
        assert response.status_code == 403
    assert _draft(store, 1).status == "pending"
    assert _decisions(store, 1) == []


def test_a_decision_without_the_csrf_token_is_refused(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    log_in(drafts_app, "ana")
    assert drafts_app.post("/drafts/1/approve", data={"text": "x"}).status_code == 403
    assert drafts_app.post("/drafts/1/approve",
                           data={"text": "x", "csrf": "0" * 64}).status_code == 403
    assert _draft(store, 1).status == "pending"


def test_a_draft_decided_in_the_terminal_queue_cannot_be_decided_again_here(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    log_in(drafts_app, "ana")
    csrf = csrf_of(_pending_page(drafts_app))
    terminal = ModerationQueue(store, moderator="tom")
    item = terminal.next()
    assert item is not None
    terminal.reject(item, "off topic")
    response = drafts_app.post(f"/drafts/{item.draft_id}/approve",
                               data={"csrf": csrf, "text": item.text})
    assert response.status_code == 409
    row = _draft(store, item.draft_id)
    assert (row.status, row.decided_by) == ("rejected", "tom")
    assert [a for a, _, _ in _decisions(store, item.draft_id)] == ["tom"]


def test_a_draft_open_in_someones_terminal_is_not_taken_from_them(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    log_in(drafts_app, "ana")
    csrf = csrf_of(_pending_page(drafts_app))
    terminal = ModerationQueue(store, moderator="tom")
    item = terminal.next()
    assert item is not None
    response = drafts_app.post(f"/drafts/{item.draft_id}/approve",
                               data={"csrf": csrf, "text": item.text})
    assert response.status_code == 409
    terminal.approve(item)  # tom's claim still stands
    assert _draft(store, item.draft_id).decided_by == "tom"


def test_a_draft_approved_in_the_browser_leaves_the_terminal_queue(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    log_in(drafts_app, "ana")
    csrf = csrf_of(_pending_page(drafts_app))
    for draft_id in range(1, 7):
        drafts_app.post(f"/drafts/{draft_id}/approve",
                        data={"csrf": csrf, "text": _draft(store, draft_id).text})
    assert ModerationQueue(store, moderator="tom").next() is None
    decided = drafts_app.get("/drafts?status=approved").text
    assert decided.count("decided by <b>ana</b>") == 6
