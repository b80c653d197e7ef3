"""The store on SQLite and PostgreSQL: dedupe, atomic pages, append-only audit, schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, text

from socialbot.config import IngestConfig
from socialbot.domain import Page, Post, Rejected
from socialbot.store import Store
from socialbot.store import ingest as ingest_module
from socialbot.store.ingest import POSTS, QUARANTINE, read_cursor, write_page
from socialbot.store.tables import AuditRow


def _post(i: int) -> Post:
    return Post("twitter", str(i), f"text {i}", datetime(2026, 11, 1, 12, i % 60, tzinfo=UTC))


def _count(store: Store, table=POSTS) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_same_post_is_stored_once(any_store: Store) -> None:
    page = Page([_post(1), _post(2)], cursor="2")
    with any_store.transaction() as conn:
        first = write_page(conn, page, source="s", kind="replay", watch=None)
    with any_store.transaction() as conn:
        again = write_page(
            conn, Page([_post(2), _post(3)], cursor="3"), source="s", kind="replay", watch=None
        )
    assert (first.new_posts, again.new_posts, again.duplicates) == (2, 1, 1)
    assert _count(any_store) == 3


def test_same_id_on_another_platform_is_another_post(any_store: Store) -> None:
    reddit = Post("reddit", "1", "hello", datetime(2026, 11, 1, tzinfo=UTC))
    with any_store.transaction() as conn:
        write_page(conn, Page([_post(1), reddit]), source="s", kind="replay", watch=None)
    assert _count(any_store) == 2


def test_a_crash_between_posts_and_cursor_stores_neither(
    any_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = Page(
        [_post(i) for i in range(10)],
        [Rejected("s", "line 11", "malformed JSON", "{")],
        cursor="11",
    )
    real_update = ingest_module.update
    calls = {"n": 0}

    def dying_update(table):  # type: ignore[no-untyped-def]
        if table is ingest_module.SOURCES:
            calls["n"] += 1
            raise RuntimeError("killed after the posts were written, before the cursor")
        return real_update(table)

    monkeypatch.setattr(ingest_module, "update", dying_update)
    with pytest.raises(RuntimeError), any_store.transaction() as conn:
        write_page(conn, page, source="s", kind="replay", watch=None)
    assert calls["n"] == 1
    assert _count(any_store) == 0 and _count(any_store, QUARANTINE) == 0
    with any_store.transaction() as conn:
        assert read_cursor(conn, "s") is None

    monkeypatch.setattr(ingest_module, "update", real_update)
    with any_store.transaction() as conn:
        write_page(conn, page, source="s", kind="replay", watch=None)
    assert _count(any_store) == 10 and _count(any_store, QUARANTINE) == 1
    with any_store.transaction() as conn:
        assert read_cursor(conn, "s") == "11"


def test_datetimes_come_back_as_aware_utc(any_store: Store) -> None:
    with any_store.transaction() as conn:
        write_page(conn, Page([_post(5)]), source="s", kind="replay", watch=None)
    with any_store.engine.connect() as conn:
        created = conn.execute(select(POSTS.c.created_at)).scalar_one()
    assert created == datetime(2026, 11, 1, 12, 5, tzinfo=UTC)


def test_the_audit_log_refuses_edits_and_deletes(any_store: Store) -> None:
    audit = AuditRow.__table__  # type: ignore[attr-defined]
    with any_store.transaction() as conn:
        conn.execute(insert(audit).values(at=datetime.now(UTC), actor="ana", action="approve"))
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), any_store.transaction() as conn:
            conn.execute(text(statement))
    assert _count(any_store, audit) == 1


def test_migrations_match_the_table_classes(any_store: Store) -> None:
    """The ORM classes describe exactly the schema the migrations build."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    _import_every_table_module()

    with any_store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # Types compare loosely across dialects; what matters is tables, columns, constraints.
    structural = [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_type")]
    structural = [d for d in structural if not (isinstance(d, tuple) and d[0] == "remove_table")]
    assert structural == []


def _import_every_table_module() -> None:
    """Table classes register themselves on import; find them all, wherever they live."""
    import importlib
    import pkgutil

    import socialbot

    for module in pkgutil.walk_packages(socialbot.__path__, "socialbot."):
        if module.name.startswith(
            ("socialbot.cli", "socialbot.migrations")
        ) or module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)


def test_upgrade_is_idempotent(any_store: Store) -> None:
    before = any_store.current_revisions()
    any_store.upgrade()
    assert any_store.current_revisions() == before != set()


def test_posts_outside_the_configured_date_range_are_quarantined(any_store: Store) -> None:
    accept = IngestConfig(earliest_post="2015-01-01", max_future="1h")  # type: ignore[arg-type]
    now = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
    old = Post("twitter", "old", "from 2010", datetime(2010, 5, 1, tzinfo=UTC))
    ahead = Post("twitter", "ahead", "from the future", datetime(2026, 11, 1, 14, tzinfo=UTC))
    page = Page([_post(1), old, ahead], cursor="3")
    with any_store.transaction() as conn:
        written = write_page(
            conn, page, source="s", kind="replay", watch=None, now=now, accept=accept
        )
    assert (written.new_posts, written.quarantined) == (1, 2)
    assert [p.id for p in page.posts] == ["1"]  # the caller sees what was stored
    with any_store.engine.connect() as conn:
        reasons = dict(conn.execute(select(QUARANTINE.c.position, QUARANTINE.c.reason)).all())
        assert read_cursor(conn, "s") == "3"
    assert "2010-05-01T00:00:00+00:00 is outside" in reasons["twitter post old"]
    assert "2015-01-01T00:00:00+00:00 to 2026-11-01T13:30:00+00:00" in reasons["twitter post old"]
    assert "2026-11-01T14:00:00+00:00 is outside" in reasons["twitter post ahead"]


def test_quarantined_records_with_nul_or_a_long_position_are_kept(any_store: Store) -> None:
    # A raw NUL byte makes a JSONL line malformed; PostgreSQL text cannot hold it as is.
    page = Page(
        [],
        [
            Rejected("s", "line 1", "malformed JSON", '{"text": "a\x00b"}'),
            Rejected("s", "page " + "t" * 300 + " item 0", "missing text", "{}"),
        ],
        cursor="2",
    )
    with any_store.transaction() as conn:
        assert write_page(conn, page, source="s", kind="replay", watch=None).quarantined == 2
    with any_store.engine.connect() as conn:
        rows = conn.execute(select(QUARANTINE.c.position, QUARANTINE.c.raw)).all()
    assert {r.raw for r in rows} == {'{"text": "a\\u0000b"}', "{}"}
    assert max(len(r.position) for r in rows) == 200
