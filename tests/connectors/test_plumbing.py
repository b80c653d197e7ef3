"""The small pieces both SDK connectors stand on: retry policy, cursors, options, HTTP adapter."""

from __future__ import annotations

import random

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import BadOptions, ConnectorError, SourceStopped, TransientError
from connectors.http import ApiAdapter
from connectors.options import parse_options
from connectors.reddit import RedditOptions
from connectors.reddit_parse import is_newer
from connectors.retry import RetryPolicy, call_with_retries
from connectors.twitter_parse import SearchCursor, newer_id, same_text

ids = st.one_of(st.none(), st.integers(min_value=1, max_value=2**63).map(str))


@given(st.builds(SearchCursor, since_id=ids, start_time=st.one_of(st.none(), st.text()),
                 next_token=st.one_of(st.none(), st.text()), newest_id=ids))
def test_search_cursor_round_trips(cursor: SearchCursor) -> None:
    assert SearchCursor.load(cursor.dump()) == cursor


def test_unreadable_cursor_is_a_connector_error() -> None:
    with pytest.raises(ConnectorError, match="unreadable X cursor"):
        SearchCursor.load("{not json")


@given(st.integers(0, 30), st.floats(0.01, 5), st.floats(0.1, 60), st.integers(0, 2**32))
def test_backoff_is_jittered_and_capped(retry: int, base: float, cap: float, seed: int) -> None:
    delay = RetryPolicy(base=base, cap=cap).delay(retry, random.Random(seed))
    assert 0 <= delay <= min(cap, base * 2**retry)


def test_retries_transient_errors_then_gives_up() -> None:
    calls, sleeps = [], []

    def flaky() -> str:
        calls.append(1)
        raise OSError("reset")

    with pytest.raises(TransientError, match="flaky"):
        call_with_retries(flaky, translate=lambda e: TransientError("flaky"),
                          policy=RetryPolicy(attempts=3), sleep=sleeps.append,
                          rng=random.Random(1), what="test")
    assert len(calls) == 3 and len(sleeps) == 2


def test_non_transient_errors_are_not_retried_and_unknown_ones_propagate() -> None:
    calls = []

    def refuse() -> None:
        calls.append(1)
        raise OSError("401")

    with pytest.raises(SourceStopped):
        call_with_retries(refuse, translate=lambda e: SourceStopped("fix it"),
                          policy=RetryPolicy(), sleep=lambda s: None, rng=random.Random(),
                          what="test")
    with pytest.raises(OSError):
        call_with_retries(refuse, translate=lambda e: None, policy=RetryPolicy(),
                          sleep=lambda s: None, rng=random.Random(), what="test")
    assert len(calls) == 2


def test_newer_id_compares_numerically() -> None:
    assert newer_id("999", "1000") == "1000"
    assert newer_id(None, "5") == "5" and newer_id(None, None) is None
    assert newer_id("12", "abc") == "12"


def test_reddit_ids_compare_in_base36() -> None:
    child = {"kind": "t3", "data": {"id": "abd"}}
    assert is_newer(child, "t3_abc") and not is_newer(child, "t3_abz")
    assert not is_newer({"kind": "t3", "data": {}}, "t3_abc")


@pytest.mark.parametrize(("posted", "wanted", "same"), [
    ("R&amp;D  on it https://t.co/abc", "R&D on it https://acme.example/x", True),
    ("thanks", "thanks!", False),
])
def test_same_text_tolerates_what_x_does_to_text(posted: str, wanted: str, same: bool) -> None:
    assert same_text(posted, wanted) is same


def test_options_errors_name_the_key() -> None:
    with pytest.raises(BadOptions, match="option 'include_comments'"):
        parse_options(RedditOptions, {"keywords": ["a"], "include_comments": "perhaps"})


def test_api_adapter_rewrites_host_and_caps_timeout(server) -> None:
    from tests.connectors.conftest import Response

    seen = []
    server.app = lambda request: (seen.append(request), Response(200, {"ok": True}))[1]
    session = requests.Session()
    session.mount("https://", ApiAdapter(timeout=0.2, base_url=server.url))
    answer = session.get("https://api.twitter.com/2/users/me?x=1", timeout=99)
    assert answer.json() == {"ok": True}
    assert seen[0].path == "/2/users/me" and seen[0].query == {"x": "1"}
    server.app = lambda request: Response(200, {}, delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get("https://api.twitter.com/slow", timeout=99)  # capped at 0.2 s
