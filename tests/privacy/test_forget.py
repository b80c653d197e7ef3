"""`forget` erases an author from every table that refers to a post or an author."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select, text
from typer.testing import CliRunner

from socialbot.cli import app
from socialbot.privacy.forget import Author, ForgetRefused, forget
from socialbot.privacy.references import KEPT, UnknownReference, reflect_references
from socialbot.privacy.tables import ERASURE_LOG
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS
from socialbot.store.grounding import SAVED_REPLIES
from socialbot.store.ingest import POSTS
from socialbot.store.labels import LABELS, record_labels
from socialbot.watching.tables import TREND_BUCKETS
from tests.privacy.world import (
    NOW,
    add_alert,
    add_billed_read,
    add_draft,
    add_post,
    add_quarantined,
    add_saved_reply,
    count_trends,
    trend_totals,
)

JANE = Author("twitter", "Jane_Doe")  # stored as "jane_doe": handles ignore case
START, END = NOW - timedelta(days=2), NOW + timedelta(hours=1)


def _fill(store: Store) -> dict[str, list[int]]:
    """Jane and two others, with every kind of row about their posts."""
    pks: dict[str, list[int]] = {"jane_doe": [], "bob": [], "reddit_jane": []}
    with store.transaction() as conn:
        for i in range(4):
            at = NOW - timedelta(hours=3 * i)
            pks["jane_doe"].append(add_post(conn, f"10{i}", author="jane_doe", at=at))
            pks["bob"].append(add_post(conn, f"20{i}", author="bob", at=at,
                                       sentiment="positive", topics=("billing",)))
        # the same handle on another platform is another person
        pks["reddit_jane"].append(add_post(conn, "r1", author="jane_doe", at=NOW,
                                           platform="reddit"))
        add_draft(conn, pks["jane_doe"][0], status="approved")
        add_draft(conn, pks["jane_doe"][1], status="posted")
        add_draft(conn, pks["bob"][0])
        add_saved_reply(conn, pks["jane_doe"][1])
        add_alert(conn, [pks["jane_doe"][0], pks["bob"][0]])
        add_billed_read(conn, "100")
        add_billed_read(conn, "200")
        add_quarantined(conn, "JANE_DOE", 1)
        add_quarantined(conn, "bob", 2)
        for post_id in ("100", "200"):  # a moderator's corrections name the post
            record_labels(conn, platform="twitter", post_id=post_id,
                          values={"sentiment": "negative"}, labeller="ana", source="queue",
                          sample="drafted", now=NOW)
    count_trends(store)
    return pks


def _rows_referring(store: Store, pks: list[int], post_ids: list[str]) -> dict[str, int]:
    """For every table the metadata says refers to posts or authors, the rows about Jane."""
    found: dict[str, int] = {}
    with store.reading() as conn:
        refs = reflect_references(conn)
        for step in refs.keys:
            found[step.table.name] = found.get(step.table.name, 0) + conn.execute(
                select(func.count()).select_from(step.table)
                .where(step.column.in_(pks) if step.parent is None else step.rows(pks))
            ).scalar_one()
        for table in refs.by_post_id:
            found[table.name] = conn.execute(select(func.count()).select_from(table).where(
                table.c.platform == "twitter", table.c.post_id.in_(post_ids))).scalar_one()
        for table in (*refs.by_author, refs.posts):
            found[table.name] = conn.execute(select(func.count()).select_from(table).where(
                table.c.platform == "twitter",
                func.lower(table.c.author) == "jane_doe")).scalar_one()
    return found


def test_forget_removes_the_author_from_every_table_and_the_trends_still_add_up(
        any_store: Store) -> None:
    pks = _fill(any_store)
    jane_ids = [f"10{i}" for i in range(4)]
    before = trend_totals(any_store, start=START, end=END)
    topics = trend_totals(any_store, start=START, end=END, by="topic")
    about_jane = _rows_referring(any_store, pks["jane_doe"], jane_ids)
    # the walk found the tables that matter, and Jane is in them
    for table in ("posts", "predictions", "post_topics", "trend_counted", "drafts",
                  "draft_decisions", "saved_replies", "billed_reads", "labels"):
        assert about_jane.get(table), table

    erased = forget(any_store, JANE, now=NOW)

    assert erased.posts == 4
    assert not any(_rows_referring(any_store, pks["jane_doe"], jane_ids).values())
    with any_store.reading() as conn:
        dump = " ".join(json.dumps([list(r) for r in conn.execute(text(f"SELECT * FROM {t}"))],
                                   default=str)
                        for t in ("alerts", "alert_outbox", "quarantine", "erasure_log"))
        saved = conn.execute(select(SAVED_REPLIES.c.post_pk, SAVED_REPLIES.c.text)).one()
        others = conn.execute(select(func.count()).select_from(POSTS)).scalar_one()
        log = conn.execute(select(ERASURE_LOG)).one()
        drafts = conn.execute(select(func.count()).select_from(DRAFTS)).scalar_one()
        labelled = conn.execute(select(LABELS.c.post_id)).scalars().all()
    assert labelled == ["200"]  # Jane's post's label went with it, bob's stays
    assert "jane" not in dump.lower()  # alert quotes, queued deliveries, quarantine, log
    assert "bob" in dump  # ... while the other author's quote and record stay
    assert saved == (None, "Sorry @{handle}, we are on it")  # the brand's words stay
    assert others == 5 and drafts == 1  # bob's posts and draft, reddit's jane_doe
    assert (log.reason, log.platform, log.posts) == ("forget", "twitter", 4)
    assert log.rows == erased.rows > 4
    # the trends over the span show what they showed before, for everyone
    assert trend_totals(any_store, start=START, end=END) == before
    assert trend_totals(any_store, start=START, end=END, by="topic") == topics


def test_a_recount_after_forget_keeps_the_erased_posts_counts(any_store: Store) -> None:
    from socialbot.stages.trends import TrendsStage, rebuild

    _fill(any_store)
    before = trend_totals(any_store, start=START, end=END)
    hourly = trend_totals(any_store, start=START, end=END, width=3600)
    forget(any_store, JANE, now=NOW)
    rebuild(TrendsStage(any_store, bucket=900.0))
    assert trend_totals(any_store, start=START, end=END) == before
    rebuild(TrendsStage(any_store, bucket=3600.0))  # a wider bucket: counts move into it
    assert trend_totals(any_store, start=START, end=END, width=3600) == hourly


def test_a_recount_refuses_to_split_the_kept_counts(store: Store) -> None:
    from socialbot.stages.trends import TrendsStage, rebuild
    from socialbot.watching.kept_counts import KeptCountsMismatch

    _fill(store)
    forget(store, JANE, now=NOW)
    with store.reading() as conn:
        buckets = conn.execute(select(func.sum(TREND_BUCKETS.c.posts))).scalar_one()
    with pytest.raises(KeptCountsMismatch, match="4 erased posts"):
        rebuild(TrendsStage(store, bucket=600.0))
    with store.reading() as conn:  # nothing was lost by the refusal
        assert conn.execute(select(func.sum(TREND_BUCKETS.c.posts))).scalar_one() == buckets


def test_forget_waits_for_a_reply_being_posted(store: Store) -> None:
    with store.transaction() as conn:
        pk = add_post(conn, "1", author="jane_doe", at=NOW)
        add_draft(conn, pk, status="posting")
    with pytest.raises(ForgetRefused, match="being posted"):
        forget(store, JANE, now=NOW)
    with store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(POSTS)).scalar_one() == 1


def test_a_new_table_with_a_key_to_posts_is_erased_too(store: Store) -> None:
    with store.transaction() as conn:
        pk = add_post(conn, "1", author="jane_doe", at=NOW)
        other = add_post(conn, "2", author="bob", at=NOW)
        conn.execute(text("CREATE TABLE post_labels (id INTEGER PRIMARY KEY, "
                          "post_pk INTEGER REFERENCES posts(id), label TEXT)"))
        conn.execute(text("CREATE TABLE label_votes (id INTEGER PRIMARY KEY, "
                          "label_id INTEGER REFERENCES post_labels(id), vote TEXT)"))
        conn.execute(text(f"INSERT INTO post_labels VALUES (1, {pk}, 'spam'), "
                          f"(2, {other}, 'ok')"))
        conn.execute(text("INSERT INTO label_votes VALUES (1, 1, 'ana'), (2, 2, 'ana')"))
    erased = forget(store, JANE, now=NOW)
    assert erased.tables["post_labels"] == 1 and erased.tables["label_votes"] == 1
    with store.reading() as conn:
        assert conn.execute(text("SELECT id FROM post_labels")).scalars().all() == [2]
        assert conn.execute(text("SELECT id FROM label_votes")).scalars().all() == [2]


def test_a_reference_erasing_cannot_follow_stops_it(store: Store) -> None:
    with store.transaction() as conn:
        add_post(conn, "1", author="jane_doe", at=NOW)
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, post_id TEXT)"))
    with pytest.raises(UnknownReference, match="'notes' column 'post_id'"):
        forget(store, JANE, now=NOW)
    with store.reading() as conn:  # nothing half-erased
        assert conn.execute(select(func.count()).select_from(POSTS)).scalar_one() == 1


def test_every_table_naming_a_post_or_an_author_is_followed_or_kept_on_purpose(
        store: Store) -> None:
    with store.reading() as conn:
        refs = reflect_references(conn)
        meta = MetaData()
        meta.reflect(conn)
    followed = refs.tables()
    for table in meta.tables.values():
        names = set(table.c.keys())
        refers = any(fk.column.table.name in followed for fk in table.foreign_keys) or \
            bool(names & {"post_pk", "post_id", "author"})
        if refers:
            assert table.name in followed or table.name in KEPT, table.name


def test_forget_asks_first_and_says_what_it_erased(tmp_path: Path) -> None:
    from tests.conftest import make_config

    config = make_config(tmp_path, watch=[{"name": "acme"}])
    (tmp_path / "config.toml").write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "socialbot.db"}"\n'
        '[classifier]\nenabled = false\n[[watch]]\nname = "acme"\n')
    from socialbot.store import open_store

    store = open_store(config)
    _fill(store)
    store.dispose()
    runner = CliRunner()
    args = ["--config", str(tmp_path / "config.toml")]
    said_no = runner.invoke(app, [*args, "forget", "--author", "@jane_doe", "--platform", "x"],
                            input="n\n")
    assert said_no.exit_code == 1
    assert "twitter author jane_doe: 4 posts, 2 drafts, 1 quarantined records stored" \
        in said_no.output
    exported = tmp_path / "jane.json"
    result = runner.invoke(app, [*args, "export", "--author", "jane_doe", "--platform", "x",
                                 "--output", str(exported)])
    assert result.exit_code == 0, result.output
    document = json.loads(exported.read_text())
    assert document["posts"] == 4
    assert {p["author"] for p in document["tables"]["posts"]} == {"jane_doe"}
    assert document["tables"]["posts"][0]["created_at"].endswith("+00:00")  # UTC, said so
    assert len(document["tables"]["drafts"]) == 2
    assert len(document["alert_quotes"]) == 1 and len(document["quarantined_records"]) == 1
    said_yes = runner.invoke(app, [*args, "forget", "--author", "jane_doe", "--platform", "x",
                                   "--yes"])
    assert said_yes.exit_code == 0, said_yes.output
    assert "erased 4 posts" in said_yes.output
    again = runner.invoke(app, [*args, "export", "--author", "jane_doe", "--platform", "x"])
    assert json.loads(again.stdout)["tables"] == {}
    log = runner.invoke(app, [*args, "erasures", "--json"])
    assert json.loads(log.stdout.splitlines()[0])["reason"] == "forget"
    bad = runner.invoke(app, [*args, "forget", "--author", "x", "--platform", "mastodon"])
    assert bad.exit_code == 1 and "expected x or reddit" in bad.output
