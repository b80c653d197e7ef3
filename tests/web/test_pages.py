"""The dashboard's pages on the replayed demo week: overview, alert, posts, exports, model,
and what bad input gets (a clear 4xx, never a 500)."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from socialbot.config import Config
from socialbot.store import Store
from socialbot.store.ingest import POSTS
from socialbot.store.post_search import PostFilter, every_post
from socialbot.store.predictions import POST_TOPICS, PREDICTIONS
from socialbot.watching.views import list_alerts, text_summary
from tests.moderation.support import add_post
from tests.web.conftest import log_in


def test_the_overview_shows_the_demo_incident_and_its_charts(demo_client: TestClient) -> None:
    page = demo_client.get("/").text  # / leads to the first watch
    assert "Parcelly: what people say" in page
    assert "negative posts spiking about delivery" in page
    assert page.count("<svg") == 2
    assert "#1 negative_spike:delivery" in page  # the alert's band on the charts
    assert re.search(r'id="kpi-posts">1,709<', page)


def test_the_overview_refreshes_from_json_with_the_same_sections(
    demo_client: TestClient
) -> None:
    data = demo_client.get("/watch/parcelly/live.json?span=3d&bucket=6h").json()
    assert set(data["sections"]) == {"kpis", "charts", "alerts", "topics"}
    assert "buckets of 6h" in data["sections"]["kpis"]
    assert "<svg" in data["sections"]["charts"]


def test_the_alert_page_gives_the_cli_explanation_history_and_deliveries(
    demo_client: TestClient, demo: tuple[Config, Store]
) -> None:
    _, store = demo
    with store.reading() as conn:
        alert = list_alerts(conn, watch="parcelly")[-1]
    page = demo_client.get(f"/alerts/{alert['id']}").text
    # the same text `socialbot alerts --id N` prints, escaped for HTML
    for line in text_summary(alert).splitlines()[:6]:
        assert line.replace("&", "&amp;").replace('"', "&#34;").replace("'", "&#39;") in page
    assert "rising phrases" in page
    assert "History" in page and "Deliveries" in page
    assert "opened: negative_spike:delivery" in page


def _count(store: Store, *, sentiment: str | None = None, topic: str | None = None) -> int:
    query = select(func.count()).select_from(POSTS).outerjoin(
        PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
    if sentiment:
        query = query.where(PREDICTIONS.c.sentiment == sentiment)
    if topic:
        query = query.where(POSTS.c.id.in_(
            select(POST_TOPICS.c.post_pk).where(POST_TOPICS.c.topic == topic)))
    with store.reading() as conn:
        return int(conn.execute(query).scalar_one())


def test_paging_through_the_posts_shows_every_post_once(
    demo_client: TestClient, demo: tuple[Config, Store]
) -> None:
    _, store = demo
    seen: list[str] = []
    url: str | None = "/posts?" + urlencode({"sentiment": "negative", "topic": "delivery"})
    pages = 0
    while url is not None:
        page = demo_client.get(url)
        assert page.status_code == 200
        seen += re.findall(r'<div class="post negative">', page.text)
        found = re.search(r'id="older" href="([^"]+)"', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    expected = _count(store, sentiment="negative", topic="delivery")
    assert len(seen) == expected > 50  # more than a page, so the cursor was followed
    assert pages == -(-expected // 50)
    with store.reading() as conn:
        ids = [p["id"] for p in every_post(
            conn, PostFilter(sentiment="negative", topic="delivery"), limit=10_000, batch=7)]
    assert len(ids) == len(set(ids)) == expected


def test_an_author_is_found_written_with_or_without_its_at(demo: tuple[Config, Store]) -> None:
    _, store = demo
    with store.reading() as conn:
        author = conn.execute(
            select(POSTS.c.author).where(POSTS.c.author.is_not(None)).limit(1)).scalar_one()
        found = {written: [p["id"] for p in every_post(conn, PostFilter(author=written),
                                                       limit=10_000, batch=50)]
                 for written in (author, f"@{author}")}
    assert found[author] and found[author] == found[f"@{author}"]


def test_the_posts_csv_holds_exactly_what_the_filter_matches(
    demo_client: TestClient, demo: tuple[Config, Store]
) -> None:
    _, store = demo
    response = demo_client.get("/posts.csv?sentiment=negative&topic=delivery&platform=twitter")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["sentiment"] for r in rows} == {"negative"}
    assert {r["platform"] for r in rows} == {"twitter"}
    assert all("delivery" in r["topics"] for r in rows)
    with store.reading() as conn:
        expected = conn.execute(
            select(func.count()).select_from(POSTS)
            .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
            .join(POST_TOPICS, POST_TOPICS.c.post_pk == POSTS.c.id)
            .where(PREDICTIONS.c.sentiment == "negative", POST_TOPICS.c.topic == "delivery",
                   POSTS.c.platform == "twitter")
        ).scalar_one()
    assert len(rows) == expected


def test_the_alerts_csv_lists_the_demo_incident(demo_client: TestClient) -> None:
    rows = list(csv.DictReader(io.StringIO(demo_client.get("/alerts.csv?watch=parcelly").text)))
    assert any(r["rules"].startswith("negative_spike:delivery") for r in rows)


def test_the_model_page_quotes_the_measured_accuracy(demo_client: TestClient) -> None:
    page = demo_client.get("/model").text
    assert "accuracy" in page.lower()
    assert "truth" in page or "posts classified" in page


@pytest.mark.parametrize(("url", "status"), [
    ("/watch/nosuchbrand", 404),
    ("/watch/parcelly?span=forever", 400),
    ("/watch/parcelly?span=30d&bucket=1m", 400),
    ("/watch/parcelly?span=9999d", 400),
    ("/posts?sentiment=furious", 400),
    ("/posts?platform=myspace", 400),
    ("/posts?since=yesterday-ish", 400),
    ("/posts?after=bm90IGEgY3Vyc29y", 400),
    ("/posts?after=" + "9" * 3000, 400),
    ("/posts?watch=nosuchbrand", 404),
    ("/alerts/999999999", 404),
    ("/alerts/abc", 404),
    ("/alerts?status=sleeping", 400),
    ("/drafts?status=maybe", 400),
    ("/posts?q=" + "x" * 20_000, 414),  # (httpx itself refuses URLs over 64 KiB)
])
def test_bad_input_gets_a_clear_4xx_page(demo_client: TestClient, url: str, status: int) -> None:
    response = demo_client.get(url)
    assert response.status_code == status
    assert "Traceback" not in response.text


def test_post_text_is_shown_as_text_never_run(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)> @parcelly where is it'
    add_post(store, "xss1", attack, url="javascript:alert(1)", minutes=99)
    log_in(drafts_app, "vic")
    page = drafts_app.get("/posts?q=script").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "javascript:alert" not in page  # not a web link: not made a link


def test_the_model_page_shows_agreement_with_the_brands_own_labels(
        demo: tuple[Config, Store], demo_client: TestClient) -> None:
    from datetime import UTC, datetime

    from socialbot.store.labels import LABELS, record_labels

    _, store = demo
    assert "Not measured yet: no labelled posts" in demo_client.get("/model").text
    with store.reading() as conn:
        said = conn.execute(
            select(POSTS.c.platform, POSTS.c.post_id, PREDICTIONS.c.sentiment)
            .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)
            .order_by(POSTS.c.id).limit(4)).all()
    try:
        with store.transaction() as conn:
            for i, (platform, post_id, sentiment) in enumerate(said):
                # three labels agree with the model, the fourth says otherwise
                value = sentiment if i < 3 else ("neutral" if sentiment != "neutral"
                                                 else "positive")
                record_labels(conn, platform=platform, post_id=post_id,
                              values={"sentiment": value}, labeller="ana", source="queue",
                              sample="drafted", now=datetime.now(UTC))
        page = demo_client.get("/model").text
        assert "sample drafted" in page
        assert "75.0%" in page  # 3 of 4, with its Wilson interval beside it
        assert "30.1%-95.4%" in page
    finally:
        with store.transaction() as conn:  # the demo store is shared by the module's tests
            conn.execute(LABELS.delete())
