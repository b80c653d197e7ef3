"""Logins: nothing without one but the health check, wrong passwords, the rate limit, the
session cookie's flags, a fresh session per login, and CSRF on the login form itself."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from socialbot.web.auth import SESSION_COOKIE
from tests.web.conftest import PASSWORD, csrf_of, log_in

PAGES = ("/", "/watch/parcelly", "/watch/parcelly/live.json", "/alerts", "/alerts/1",
         "/alerts.csv", "/posts", "/posts.csv", "/drafts", "/model", "/no-such-page")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_but_the_health_check_sends_strangers_to_the_login(
    drafts_app: TestClient, path: str
) -> None:
    response = drafts_app.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_the_health_check_answers_without_a_login(drafts_app: TestClient) -> None:
    response = drafts_app.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


def test_a_post_without_a_session_is_refused(drafts_app: TestClient) -> None:
    assert drafts_app.post("/drafts/1/approve", data={}).status_code == 401


def _attempt(client: TestClient, name: str, password: str) -> object:
    page = client.get("/login")
    return client.post("/login", data={"name": name, "password": password,
                                       "csrf": csrf_of(page.text)}, follow_redirects=False)


def test_a_wrong_password_logs_nobody_in(drafts_app: TestClient) -> None:
    response = _attempt(drafts_app, "ana", "not the password")
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "Wrong user name or password." in response.text  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in drafts_app.cookies
    assert drafts_app.get("/drafts", follow_redirects=False).status_code == 303


def test_login_then_the_pages_open_and_the_cookie_is_httponly_and_lax(
    drafts_app: TestClient
) -> None:
    page = drafts_app.get("/login")
    response = drafts_app.post("/login", data={"name": "ana", "password": PASSWORD,
                                               "csrf": csrf_of(page.text), "next": "/drafts"},
                               follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/drafts"
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http here; --secure-cookies adds it
    assert drafts_app.get("/drafts").status_code == 200


def test_next_never_leads_off_the_site(drafts_app: TestClient) -> None:
    page = drafts_app.get("/login")
    response = drafts_app.post("/login", data={"name": "ana", "password": PASSWORD,
                                               "csrf": csrf_of(page.text),
                                               "next": "//evil.example/x"},
                               follow_redirects=False)
    assert response.headers["location"] == "/"


def test_five_failures_lock_the_user_and_the_address_out_for_a_while(
    drafts_app: TestClient
) -> None:
    for _ in range(5):
        assert _attempt(drafts_app, "ana", "guess").status_code == 401  # type: ignore[attr-defined]
    locked = _attempt(drafts_app, "ana", PASSWORD)
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert "Too many failed logins" in locked.text  # type: ignore[attr-defined]
    # the same address trying another name is held back too
    assert _attempt(drafts_app, "vic", PASSWORD).status_code == 429  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in drafts_app.cookies


def _session_set_by(response: object) -> str:
    for header in response.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        if header.startswith(SESSION_COOKIE + "="):
            return str(header.split(";", 1)[0].split("=", 1)[1])
    raise AssertionError("no session cookie was set")


def test_a_session_id_planted_before_login_is_never_the_one_used(
    drafts_app: TestClient
) -> None:
    page = drafts_app.get("/login")
    prelogin = drafts_app.cookies["socialbot_prelogin"]
    drafts_app.cookies.clear()
    response = drafts_app.post(
        "/login", data={"name": "ana", "password": PASSWORD, "csrf": csrf_of(page.text)},
        headers={"Cookie": f"socialbot_prelogin={prelogin}; {SESSION_COOKIE}=planted-value"},
        follow_redirects=False)
    assert response.status_code == 303
    assert _session_set_by(response) != "planted-value"


def test_each_login_gets_a_new_session_and_the_old_one_ends(drafts_app: TestClient) -> None:
    log_in(drafts_app, "ana")
    first = drafts_app.cookies[SESSION_COOKIE]
    log_in(drafts_app, "ana")
    second = drafts_app.cookies[SESSION_COOKIE]
    assert second != first
    # the session the browser had before the second login no longer opens anything
    with TestClient(drafts_app.app) as other:
        other.cookies.set(SESSION_COOKIE, first)
        assert other.get("/drafts", follow_redirects=False).status_code == 303


def test_the_login_form_needs_its_csrf_token(drafts_app: TestClient) -> None:
    drafts_app.get("/login")
    response = drafts_app.post("/login", data={"name": "ana", "password": PASSWORD},
                               follow_redirects=False)
    assert response.status_code == 403
    assert SESSION_COOKIE not in drafts_app.cookies


def test_logging_out_ends_the_session_on_the_server(drafts_app: TestClient) -> None:
    log_in(drafts_app, "ana")
    token = drafts_app.cookies[SESSION_COOKIE]
    page = drafts_app.get("/drafts")
    assert drafts_app.post("/logout", data={"csrf": csrf_of(page.text)},
                           follow_redirects=False).status_code == 303
    with TestClient(drafts_app.app) as other:
        other.cookies.set(SESSION_COOKIE, token)  # a copy of the cookie taken earlier
        assert other.get("/drafts", follow_redirects=False).status_code == 303


def test_pages_forbid_inline_script_and_framing(drafts_app: TestClient) -> None:
    response = drafts_app.get("/login")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
