"""The X connector against a local fake of API v2, through the real tweepy client."""

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
from connectors.twitter import TwitterConnector
from socialbot.domain import Reply
from tests.connectors.conftest import drain
from tests.connectors.fake_x import BEARER, BOT_NAME, ENV, NOT_ENROLLED, FakeX


@pytest.fixture
def x(server, clock) -> FakeX:
    fake = FakeX(clock.now)
    server.app = fake
    return fake


@pytest.fixture
def make(server, clock):
    def build(env=ENV, **options) -> TwitterConnector:
        opts = {"query": "acme -is:retweet lang:en", "timeout": 2.0, **options}
        return TwitterConnector("x-acme", opts, env=env, base_url=server.url,
                                sleep=clock.sleep, clock=clock.time)
    return build


def test_found_by_kind_name() -> None:
    assert connector_class("twitter") is TwitterConnector


def test_first_run_backfills_seven_days_following_next_token(x, make, clock) -> None:
    ids = [x.add(age=600 * i) for i in range(250)]
    x.add(age=8 * 86400)  # older than the window: recent search would not have it
    posts, cursor = drain(make())
    assert sorted(p.id for p in posts) == sorted(ids)
    searches = [r for r in x.requests if r.path == "/2/tweets/search/recent"]
    assert len(searches) == 3
    first = searches[0].query
    assert first["query"] == "acme -is:retweet lang:en"
    assert first["max_results"] == "100"
    assert first["expansions"] == "author_id" and first["user.fields"] == "username"
    assert set(first["tweet.fields"].split(",")) >= {
        "created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets", "lang"}
    assert first["start_time"] == searches[2].query["start_time"]  # same window while paging
    assert searches[1].query["next_token"].startswith("older-than-")
    assert json.loads(cursor) == {"since_id": max(ids, key=int), "next_token": None,
                                  "newest_id": None, "start_time": None}


def test_post_fields_come_from_expansions(x, make) -> None:
    parent = x.add("parent", author="alice")
    child = x.add("R&amp;D at acme &lt;3", author="bob", reply_to=parent)
    posts = {p.id: p for p in make().fetch(None, limit=100).posts}
    post = posts[child]
    assert post.author == "bob" and post.text == "R&D at acme <3"
    assert post.in_reply_to == parent and post.conversation_id == parent
    assert post.lang == "en" and post.url == f"https://x.com/bob/status/{child}"
    assert post.created_at.tzinfo is not None
    assert posts[parent].in_reply_to is None


def test_later_runs_use_since_id_and_get_only_new_posts(x, make) -> None:
    x.add(), x.add()
    _, cursor = drain(make())
    new = [x.add(), x.add(), x.add()]
    posts, cursor2 = drain(make(), cursor)
    assert [p.id for p in posts] == new[::-1]
    last = x.requests[-1].query
    assert last["since_id"] == json.loads(cursor)["since_id"] and "start_time" not in last
    assert drain(make(), cursor2)[0] == []


def test_resume_mid_pagination_after_a_crash(x, make) -> None:
    ids = [x.add() for _ in range(230)]
    first = make().fetch(None, limit=100)
    assert not first.exhausted and len(first.posts) == 100
    x.add(age=0)  # arrives while we are paging; found on the next pass
    rest, cursor = drain(make(), first.cursor)  # a new process with the stored cursor
    seen = [p.id for p in first.posts + rest]
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    late, _ = drain(make(), cursor)
    assert [p.id for p in late] == [str(x.next_id)]


def test_expired_next_token_restarts_the_pass_without_loss(x, make) -> None:
    ids = [x.add() for _ in range(150)]
    cursor = json.dumps({"since_id": None, "start_time": None, "next_token": "expired",
                         "newest_id": None})
    posts, _ = drain(make(), cursor)
    assert {p.id for p in posts} == set(ids)


def test_rate_limit_raises_with_reset_and_loses_nothing(x, make, clock) -> None:
    ids = [x.add() for _ in range(150)]
    source = make()
    first = source.fetch(None, limit=100)
    reset = int(clock.now) + 900
    x.faults.append(x_429(reset))
    with pytest.raises(RateLimited) as caught:
        source.fetch(first.cursor, limit=100)
    assert caught.value.retry_at == reset
    assert clock.sleeps == []  # no sleeping through the reset inside fetch
    clock.now = caught.value.retry_at
    rest, _ = drain(source, first.cursor)  # the stage kept the old cursor
    seen = [p.id for p in first.posts + rest]
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))


def x_429(reset: int):
    from tests.connectors.conftest import Response

    return Response(429, {"title": "Too Many Requests", "detail": "Too Many Requests"},
                    {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"})


def test_server_errors_are_retried_with_capped_backoff(x, make, clock) -> None:
    from tests.connectors.conftest import Response

    ids = [x.add() for _ in range(5)]
    x.faults.extend([Response(503, {"title": "Service Unavailable"})] * 2
                    + [Response(500, b"<html>oops</html>")])
    posts, _ = drain(make(retries=3))
    assert {p.id for p in posts} == set(ids)
    assert len(clock.sleeps) == 3 and all(0 <= s <= 8 for s in clock.sleeps)


def test_a_longer_burst_becomes_transient_error(x, make, clock) -> None:
    from tests.connectors.conftest import Response

    x.add()
    x.faults.extend([Response(500, {"title": "Internal"})] * 3)
    with pytest.raises(TransientError, match="500"):
        make(retries=2).fetch(None, limit=100)
    assert len(clock.sleeps) == 2
    assert len(make().fetch(None, limit=100).posts) == 1  # and the next try works


def test_timeout_is_retried(x, make) -> None:
    from tests.connectors.conftest import Response

    tweet = x.add()
    x.faults.append(Response(200, {"meta": {"result_count": 0}}, delay=1.0))
    page = make(timeout=0.2).fetch(None, limit=100)
    assert [p.id for p in page.posts] == [tweet]


def test_garbage_body_is_retried_then_transient(x, make) -> None:
    from tests.connectors.conftest import Response

    x.add()
    x.faults.extend([Response(200, b"{not json")] * 2)
    with pytest.raises(TransientError):
        make(retries=1).fetch(None, limit=100)


def test_bad_bearer_token_stops_the_source_without_leaking_it(x, make, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    x.add()
    wrong = dict(ENV, TWITTER_BEARER_TOKEN="wrongTokenValue-SECRET-123456")
    with pytest.raises(SourceStopped) as caught:
        make(env=wrong).fetch(None, limit=100)
    message = str(caught.value)
    assert "TWITTER_BEARER_TOKEN" in message and "401" in message
    assert "wrongTokenValue-SECRET-123456" not in message
    assert any("Bearer" in r.getMessage() for r in caplog.records)  # tweepy logged headers
    assert "wrongTokenValue-SECRET-123456" not in caplog.text


def test_wrong_access_tier_names_the_fix(x, make) -> None:
    from tests.connectors.conftest import Response

    x.faults.append(Response(403, NOT_ENROLLED))
    with pytest.raises(SourceStopped) as caught:
        make().fetch(None, limit=100)
    assert "client-not-enrolled" in str(caught.value)
    assert "access level" in str(caught.value) and BEARER not in str(caught.value)


def test_bad_query_stops_the_source_naming_the_option(x, make) -> None:
    from tests.connectors.conftest import Response

    x.faults.append(Response(400, {"errors": [{"message": "There were errors processing "
                                                          "your request: Ambiguous use of or"}]}))
    with pytest.raises(SourceStopped, match="option 'query'"):
        make(query="acme or").fetch(None, limit=100)


def test_missing_credentials_name_the_variable() -> None:
    source = TwitterConnector("x-acme", {"query": "acme"}, env={})
    with pytest.raises(SourceStopped, match="TWITTER_BEARER_TOKEN"):
        source.fetch(None, limit=100)


def test_malformed_items_are_quarantined_and_the_rest_flows(x, make) -> None:
    good = x.add()
    x.add(raw={"id": "1850000000000000999", "author_id": "1"})  # no text, no date
    x.add(raw={"id": "1850000000000001000", "text": "x", "created_at": "yesterday"})
    page = make().fetch(None, limit=100)
    assert [p.id for p in page.posts] == [good]
    reasons = sorted(r.reason for r in page.rejected)
    assert reasons == ["bad created_at 'yesterday'", "missing text"]
    assert all(r.source == "x-acme" and "item" in r.position for r in page.rejected)
    assert json.loads(page.cursor)["since_id"] == "1850000000000001000"


@pytest.mark.parametrize(("options", "key"), [
    ({"query": "a", "page_size": 500}, "page_size"),
    ({"query": "a", "backfill_days": 30}, "backfill_days"),
    ({"query": ""}, "query"),
    ({}, "query"),
    ({"query": "a", "subreddits": ["x"]}, "subreddits"),
])
def test_bad_options_name_the_key(options, key) -> None:
    with pytest.raises(BadOptions, match=f"'{key}'"):
        TwitterConnector("x-acme", options, env=ENV)


def test_reply_then_find_own_reply(x, make) -> None:
    target = x.add("acme broke my order")
    source = make()
    text = "Sorry! R&D is on it: https://acme.example/status"
    posted = source.reply(Reply(draft_id=7, platform="twitter", in_reply_to=target, text=text))
    create = x.requests[-1]
    assert create.method == "POST" and create.headers["authorization"].startswith("OAuth ")
    assert json.loads(create.body) == {"text": text, "reply": {"in_reply_to_tweet_id": target}}
    again = make()  # a fresh process after a crash
    assert again.find_own_reply(Reply(7, "twitter", target, text)) == posted
    assert again.find_own_reply(Reply(7, "twitter", target, "something else")) is None
    assert again.find_own_reply(Reply(7, "twitter", x.add(), text)) is None
    assert posted not in {p.id for p in drain(make())[0]}  # our own replies are not ingested
    assert BOT_NAME == "brandbot"


def test_reply_with_bad_keys_stops_without_leaking(x, make, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    target = x.add()
    wrong = dict(ENV, TWITTER_ACCESS_TOKEN="999-wrongAccessToken", TWITTER_API_SECRET="s3cretXYZ")
    with pytest.raises(SourceStopped) as caught:
        make(env=wrong).reply(Reply(1, "twitter", target, "hi"))
    assert "TWITTER_ACCESS_TOKEN" in str(caught.value)
    for secret in ("999-wrongAccessToken", "s3cretXYZ"):
        assert secret not in str(caught.value) and secret not in caplog.text


def test_reply_is_not_retried_on_server_error(x, make) -> None:
    from tests.connectors.conftest import Response

    target = x.add()
    x.faults.append(Response(503, {"title": "Service Unavailable"}))
    with pytest.raises(TransientError):
        make().reply(Reply(1, "twitter", target, "hi"))
    assert sum(r.method == "POST" for r in x.requests) == 1


def test_a_since_id_older_than_the_window_falls_back_to_the_window(x, make, caplog) -> None:
    ids = [x.add() for _ in range(3)]
    stale = json.dumps({"since_id": "1000", "start_time": None, "next_token": None,
                        "newest_id": None})
    posts, cursor = drain(make(), stale)
    assert sorted(p.id for p in posts) == sorted(ids)
    assert json.loads(cursor)["since_id"] == max(ids, key=int)
    assert "searching the last 7.0 days instead" in caplog.text
