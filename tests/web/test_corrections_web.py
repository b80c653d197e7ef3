"""Correcting a post in the browser: the queue's correction, stored as the moderator's labels;
viewers and forms without the CSRF token are refused and store nothing."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from socialbot.config import Config
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS
from socialbot.store.ingest import POSTS
from socialbot.store.labels import Label, current_labels_of
from tests.moderation.support import add_post
from tests.web.conftest import csrf_of, log_in


def _drafted_post(store: Store) -> tuple[str, str]:
    with store.reading() as conn:
        row = conn.execute(select(POSTS.c.platform, POSTS.c.post_id)
                           .join(DRAFTS, DRAFTS.c.post_pk == POSTS.c.id)
                           .order_by(DRAFTS.c.id).limit(1)).one()
    return row.platform, row.post_id


def _labels(store: Store, platform: str, post_id: str) -> dict[str, Label]:
    with store.reading() as conn:
        return {lab.kind: lab for lab in current_labels_of(conn, platform, post_id)}


def test_a_moderator_corrects_a_drafted_post_and_it_is_their_label(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    config, store = drafts
    platform, post_id = _drafted_post(store)
    log_in(drafts_app, "ana")
    assert f"/posts/{platform}/{post_id}/correct" in drafts_app.get("/drafts").text
    page = drafts_app.get(f"/posts/{platform}/{post_id}/correct")
    assert page.status_code == 200 and "The model said: negative" in page.text
    topics = [t.name for t in config.watch[0].topic]
    response = drafts_app.post(f"/posts/{platform}/{post_id}/correct", data={
        "csrf": csrf_of(page.text), "sentiment": "neutral", "need": "question",
        "topic": [topics[1]]})
    assert response.status_code == 200 and "Saved: these labels now count" in response.text
    labels = _labels(store, platform, post_id)
    assert {k: lab.value for k, lab in labels.items()} == {
        "sentiment": "neutral", "need": "question", "topic": topics[1]}
    assert {(lab.labeller, lab.source, lab.sample) for lab in labels.values()} == {
        ("ana", "web", "drafted")}
    again = drafts_app.get(f"/posts/{platform}/{post_id}/correct")  # starts from the labels
    assert 'value="question" checked' in again.text


def test_a_post_without_a_draft_is_labelled_as_chosen(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    config, store = drafts
    add_post(store, "chosen1", "lovely driver today", sentiment="positive", topics=(),
             watch=config.watch[0].name)
    log_in(drafts_app, "root")
    page = drafts_app.get("/posts/twitter/chosen1/correct")
    drafts_app.post("/posts/twitter/chosen1/correct", data={
        "csrf": csrf_of(page.text), "sentiment": "positive", "need": "none"})
    labels = _labels(store, "twitter", "chosen1")
    assert labels["topic"].value == "other"
    assert {lab.sample for lab in labels.values()} == {"chosen"}


def test_a_viewer_is_refused_and_nothing_is_stored(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    platform, post_id = _drafted_post(store)
    log_in(drafts_app, "vic")
    csrf = csrf_of(drafts_app.get("/drafts").text)  # the logout form's token is valid
    assert "/correct" not in drafts_app.get("/drafts").text
    assert drafts_app.get(f"/posts/{platform}/{post_id}/correct").status_code == 403
    refused = drafts_app.post(f"/posts/{platform}/{post_id}/correct", data={
        "csrf": csrf, "sentiment": "positive", "need": "none"})
    assert refused.status_code == 403
    assert _labels(store, platform, post_id) == {}


def test_a_form_without_its_csrf_token_or_with_an_unknown_topic_stores_nothing(
    drafts_app: TestClient, drafts: tuple[Config, Store]
) -> None:
    _, store = drafts
    platform, post_id = _drafted_post(store)
    log_in(drafts_app, "ana")
    url = f"/posts/{platform}/{post_id}/correct"
    assert drafts_app.post(url, data={"sentiment": "positive", "need": "none"}
                           ).status_code == 403
    csrf = csrf_of(drafts_app.get(url).text)
    bad = drafts_app.post(url, data={"csrf": csrf, "sentiment": "positive", "need": "none",
                                     "topic": ["weather"]})
    assert bad.status_code == 400 and "no topic named weather" in bad.text
    assert drafts_app.get("/posts/twitter/no-such-post/correct").status_code == 404
    assert _labels(store, platform, post_id) == {}
