"""The Reddit connector against a local fake of Reddit's OAuth API, through real praw."""

from __future__ import annotations

import json
import logging

import pytest

from connectors.base import (
    BadOptions,
    RateLimited,
    SourceStopped,
    TransientError,
    connector_class,
)
from connectors.reddit import RedditConnector
from socialbot.domain import Reply
from tests.connectors.conftest import Response, drain
from tests.connectors.fake_reddit import ENV, FakeReddit


@pytest.fixture(autouse=True)
def _no_prawcore_sleep(prawcore_sleeps) -> None:
    """Every test here runs praw; none of them may wait on prawcore's sleeps."""


@pytest.fixture
def rd(server, clock) -> FakeReddit:
    fake = FakeReddit(clock.now)
    server.app = fake
    return fake


@pytest.fixture
def make(server, clock):
    def build(env=ENV, **options) -> RedditConnector:
        opts = {"subreddits": ["acme", "AcmeHelp"], "keywords": ["acme", "road runner"],
                "timeout": 2.0, **options}
        return RedditConnector("rd-acme", opts, env=env, base_url=server.url,
                               sleep=clock.sleep, clock=clock.time)
    return build


def test_found_by_kind_name() -> None:
    assert connector_class("reddit") is RedditConnector


def test_submissions_comments_and_search_become_posts(rd, make) -> None:
    sub = rd.submission("Acme anvil failed", selftext="Dropped on my foot", author="wile")
    top = rd.comment(sub, "same here")
    nested = rd.comment(top, "me too", author="[deleted]")
    elsewhere = rd.submission("I love acme rockets", sub="gadgets")
    rd.submission("unrelated", sub="gadgets")
    posts, _ = drain(make())
    by_id = {p.id: p for p in posts}
    assert sorted(by_id) == sorted([sub, top, nested, elsewhere])
    assert len(posts) == 4  # r/acme's submission matches the search too, still once
    s = by_id[sub]
    assert s.text == "Acme anvil failed\n\nDropped on my foot" and s.author == "wile"
    assert s.in_reply_to is None and s.conversation_id == sub
    assert s.url == f"https://www.reddit.com/r/acme/comments/{sub[3:]}/x/"
    assert by_id[top].in_reply_to == sub and by_id[top].conversation_id == sub
    assert by_id[nested].in_reply_to == top and by_id[nested].conversation_id == sub
    assert by_id[nested].author is None
    paths = {r.path.rstrip("/") for r in rd.requests}
    assert {"/r/acme+AcmeHelp/new", "/r/acme+AcmeHelp/comments", "/search"} <= paths
    search = next(r for r in rd.requests if r.path.rstrip("/") == "/search")
    assert search.query["q"] == 'acme OR "road runner"' and search.query["sort"] == "new"


def test_new_items_are_paged_forward_with_before_exactly_once(rd, make) -> None:
    old = rd.submission()
    _, cursor = drain(make())
    new = [rd.submission() for _ in range(250)]
    asked = len(rd.requests)
    posts, cursor = drain(make(keywords=[]), cursor)  # a fresh process, the stored cursor
    ids = [p.id for p in posts]
    assert sorted(ids) == sorted(new) and len(ids) == len(set(ids))
    befores = [r.query.get("before") for r in rd.requests[asked:] if r.path.endswith("/new")]
    assert befores[:3] == [old, new[99], new[199]]  # pages of 100, 100 and 50
    assert drain(make(keywords=[]), cursor)[0] == []


def test_a_deleted_anchor_does_not_stall_the_listing(rd, make) -> None:
    first = rd.submission()
    _, cursor = drain(make(keywords=[], include_comments=False))
    del rd.items[first]  # removed by a moderator: `before=` it now finds nothing
    later = [rd.submission() for _ in range(3)]
    posts, _ = drain(make(keywords=[], include_comments=False), cursor)
    assert sorted(p.id for p in posts) == sorted(later)


def test_rate_limit_parks_the_source_until_reset(rd, make, clock) -> None:
    rd.submission()
    source = make(keywords=[], include_comments=False)
    _, cursor = drain(source)
    new = rd.submission()
    rd.faults.append(Response(429, b"Too Many Requests", {
        "x-ratelimit-remaining": "0", "x-ratelimit-used": "600", "x-ratelimit-reset": "42"}))
    with pytest.raises(RateLimited) as caught:
        source.fetch(cursor, limit=100)
    assert caught.value.retry_at == clock.now + 42
    asked = len(rd.requests)
    with pytest.raises(RateLimited):  # still used up: no request is even sent
        source.fetch(cursor, limit=100)
    assert len(rd.requests) == asked and clock.sleeps == []
    clock.now = caught.value.retry_at + 1
    assert [p.id for p in drain(source, cursor)[0]] == [new]


def test_server_errors_and_timeouts_are_retried(rd, make, clock) -> None:
    made = [rd.submission() for _ in range(3)]
    rd.faults.extend([Response(503, b"busy")] * 4 + [Response(200, {}, delay=1.0)])
    posts, _ = drain(make(timeout=0.3, keywords=[], include_comments=False))
    assert sorted(p.id for p in posts) == sorted(made)
    assert clock.sleeps  # our own backoff ran (prawcore's retries alone were not enough)


def test_a_long_outage_is_a_transient_error(rd, make) -> None:
    rd.submission()
    rd.faults.extend([Response(500, b"oops")] * 30)
    with pytest.raises(TransientError):
        make(retries=2).fetch(None, limit=100)


def test_bad_app_secret_stops_the_source_without_leaking(rd, make, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = dict(ENV, REDDIT_CLIENT_SECRET="wrongSecret-SECRET-123")
    with pytest.raises(SourceStopped) as caught:
        make(env=wrong).fetch(None, limit=100)
    assert "REDDIT_CLIENT_SECRET" in str(caught.value)
    for secret in ("wrongSecret-SECRET-123", ENV["REDDIT_PASSWORD"]):
        assert secret not in str(caught.value) and secret not in caplog.text


def test_bad_password_names_the_account_variables(rd, make, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = dict(ENV, REDDIT_PASSWORD="wrongPassword-42")
    with pytest.raises(SourceStopped, match="REDDIT_USERNAME and REDDIT_PASSWORD") as caught:
        make(env=wrong).fetch(None, limit=100)
    assert "wrongPassword-42" not in str(caught.value) and "wrongPassword-42" not in caplog.text


def test_private_subreddit_names_the_option(rd, make) -> None:
    rd.faults.append(Response(403, {"reason": "private", "message": "Forbidden", "error": 403}))
    with pytest.raises(SourceStopped, match="option 'subreddits'"):
        make().fetch(None, limit=100)


def test_missing_credentials_name_the_variables() -> None:
    source = RedditConnector("rd", {"keywords": ["acme"]}, env={"REDDIT_CLIENT_ID": "x"})
    with pytest.raises(SourceStopped) as caught:
        source.fetch(None, limit=100)
    assert "REDDIT_CLIENT_SECRET" in str(caught.value)
    assert "REDDIT_USER_AGENT" in str(caught.value)
    assert "REDDIT_CLIENT_ID" not in str(caught.value)


def test_malformed_items_are_quarantined_and_the_rest_flows(rd, make) -> None:
    good = rd.submission()
    rd.raw("t3", {"selftext": "no title", "created_utc": 1.0})
    rd.raw("t1", {"body": "orphan", "created_utc": "soon", "parent_id": good,
                  "link_id": good})
    page = make(keywords=[], include_comments=False).fetch(None, limit=100)
    assert [p.id for p in page.posts] == [good]
    assert sorted(r.reason for r in page.rejected) == ["submission without a title"]
    comments = make(keywords=[], include_comments=True)
    comments.fetch(page.cursor, limit=100)  # r/.../new again: nothing newer
    rejected = comments.fetch(page.cursor.replace('"turn": 0', '"turn": 1'), limit=100).rejected
    assert [r.reason for r in rejected] == ["bad created_utc 'soon'"]
    assert json.loads(rejected[0].raw)["data"]["body"] == "orphan"
    assert rejected[0].source == "rd-acme" and "comments:" in rejected[0].position


@pytest.mark.parametrize(("options", "key"), [
    ({"subreddits": ["no spaces allowed"]}, "subreddits"),
    ({}, "at least one"),
    ({"keywords": ["a"], "query": "a"}, "query"),
    ({"keywords": ["a"], "page_size": 0}, "page_size"),
])
def test_bad_options_are_named(options, key) -> None:
    with pytest.raises(BadOptions, match=key):
        RedditConnector("rd", options, env=ENV)


def test_reply_to_submission_and_comment_then_find_it(rd, make) -> None:
    sub = rd.submission()
    comment = rd.comment(sub)
    source = make()
    on_sub = source.reply(Reply(1, "reddit", sub, "Thanks for the report!"))
    on_comment = source.reply(Reply(2, "reddit", comment, "Sorry about that."))
    posted = [r.form() for r in rd.requests if r.path.startswith("/api/comment")]
    assert posted == [{"api_type": "json", "text": "Thanks for the report!", "thing_id": sub},
                      {"api_type": "json", "text": "Sorry about that.", "thing_id": comment}]
    assert rd.items[on_sub]["data"]["parent_id"] == sub
    again = make()  # after a crash
    assert again.find_own_reply(Reply(1, "reddit", sub, "Thanks for the report!")) == on_sub
    assert again.find_own_reply(Reply(2, "reddit", comment, "Sorry about that.")) == on_comment
    assert again.find_own_reply(Reply(3, "reddit", sub, "Sorry about that.")) is None


@pytest.mark.parametrize("answer", [
    Response(500, b"oops"), Response(502, b"<html>bad gateway</html>"),
    Response(503, b"busy"), Response(504, b"timeout"),
    Response(200, {}, delay=1.0),  # the answer never comes back in time
], ids=["500", "502", "503", "504", "read-timeout"])
def test_a_reply_reddit_stored_then_failed_is_sent_once_and_found(rd, make, answer) -> None:
    """prawcore re-sends on 5xx and timeouts by itself; a reply must not be re-sent."""
    sub = rd.submission()
    rd.after_comment.append(answer)
    source = make(timeout=0.3)
    reply = Reply(1, "reddit", sub, "Thanks for the report!")
    with pytest.raises(TransientError):
        source.reply(reply)
    posted = [r for r in rd.requests if r.path.startswith("/api/comment")]
    ours = [n for n, item in rd.items.items() if item["data"].get("author") == "brandbot"]
    assert len(posted) == 1 and len(ours) == 1
    rd.faults.append(Response(503, b"busy"))  # reads keep prawcore's retries
    assert source.find_own_reply(reply) == ours[0]


def test_reply_needs_the_account_variables(rd, make) -> None:
    sub = rd.submission()
    env = {k: v for k, v in ENV.items() if k != "REDDIT_PASSWORD"}
    with pytest.raises(SourceStopped, match="REDDIT_PASSWORD"):
        make(env=env).reply(Reply(1, "reddit", sub, "hi"))


def test_reddit_ratelimit_on_posting_becomes_rate_limited(rd, make, clock) -> None:
    sub = rd.submission()
    source = make()
    source.fetch(None, limit=100)
    rd.faults.append(Response(200, {"json": {"errors": [
        ["RATELIMIT", "Looks like you've been doing that a lot. Take a break for 5 minutes "
         "before trying again.", "ratelimit"]]}}))
    with pytest.raises(RateLimited) as caught:
        source.reply(Reply(1, "reddit", sub, "hi"))
    assert caught.value.retry_at == clock.now + 300


def test_a_page_the_store_did_not_keep_comes_again(rd, make) -> None:
    sub = rd.submission("acme news")  # in r/acme and found by the keyword search
    source = make(include_comments=False)
    first = source.fetch(None, limit=100)  # r/acme+AcmeHelp/new
    assert [p.id for p in first.posts] == [sub]
    assert source.fetch(first.cursor, limit=100).posts == []  # search: already handed out
    # the store failed to write `first`, so the stage asks again with the old cursor
    assert [p.id for p in source.fetch(None, limit=100).posts] == [sub]


def test_token_endpoint_outage_is_retried_then_transient(rd, make, clock) -> None:
    made = rd.submission()
    rd.token_faults.extend([Response(503, b"<html>down</html>")] * 2)
    page = make(keywords=[], include_comments=False).fetch(None, limit=100)
    assert [p.id for p in page.posts] == [made] and len(clock.sleeps) == 2
    rd.token_faults.extend([Response(503, b"<html>down</html>")] * 10)
    with pytest.raises(TransientError, match="503"):
        make(retries=1).fetch(None, limit=100)


def test_a_200_without_a_listing_is_transient(rd, make) -> None:
    rd.submission()
    rd.faults.append(Response(200, {"unexpected": True}))
    with pytest.raises(TransientError, match="no Listing"):
        make(keywords=[], include_comments=False).fetch(None, limit=100)
