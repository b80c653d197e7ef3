"""Privacy commands: forget an author, export an author's data, and the erasure log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from socialbot.cli.common import console, fail, get_config, get_store

AuthorOption = Annotated[
    str, typer.Option("--author", help="The author's handle as the platform shows it "
                      "(case does not matter; a leading @ or u/ is dropped).",
                      show_default=False)]
PlatformOption = Annotated[
    str, typer.Option("--platform", help="x (or twitter) or reddit.", show_default=False)]


def forget(
    ctx: typer.Context,
    author: AuthorOption,
    platform: PlatformOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")
                   ] = False,
) -> None:
    """Erase everything stored about one author; logs that an erasure happened, not whose.

    Posts, predictions, drafts, examples and the alert quotes built from them."""
    from socialbot.privacy.forget import Author, forget, preview
    from socialbot.store.types import utcnow

    who = Author.parse(platform, author)
    config = get_config(ctx)
    store = get_store(ctx, config)
    found = preview(store, who)
    summary = ", ".join(f"{n} {what}" for what, n in found.items())
    console.print(f"{who.platform} author {escape(who.name)}: {summary} stored")
    if not yes and not typer.confirm("Erase all of it? This cannot be undone", default=False):
        fail("nothing erased")
    erased = forget(store, who, now=utcnow())
    detail = ", ".join(f"{table} {n}" for table, n in sorted(erased.tables.items()))
    console.print(f"erased {erased.posts} posts, {erased.rows} rows in all"
                  + (f" ({detail})" if detail else ""))
    console.print("the erasure log records when, on which platform and how many rows; "
                  "trend counts stay as totals")


def export(
    ctx: typer.Context,
    author: AuthorOption,
    platform: PlatformOption,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the JSON here instead of to standard output.",
        dir_okay=False)] = None,
) -> None:
    """Print (or write) everything stored about one author as JSON: what forget would erase."""
    from socialbot.privacy.export import export_author
    from socialbot.privacy.forget import Author
    from socialbot.store.types import utcnow

    who = Author.parse(platform, author)
    config = get_config(ctx)
    store = get_store(ctx, config)
    with store.reading() as conn:
        document = export_author(conn, who, now=utcnow())
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if output is None:
        print(text)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"--output: cannot write {output}: {exc.strerror}")
    console.print(f"wrote {document['posts']} posts and the rows about them to {output}")


def erasures(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Show at most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the erasure log: when, why (forget, retention, compliance), where, how many."""
    from sqlalchemy import select

    from socialbot.privacy.tables import ERASURE_LOG

    config = get_config(ctx)
    store = get_store(ctx, config)
    with store.reading() as conn:
        rows = conn.execute(select(ERASURE_LOG).order_by(ERASURE_LOG.c.id.desc())
                            .limit(limit)).all()
    if as_json:
        for r in rows:
            print(json.dumps({"at": r.at.isoformat(), "reason": r.reason,
                              "platform": r.platform, "posts": r.posts, "rows": r.rows}))
        return
    table = Table(title=f"erasures (newest {len(rows)})")
    for column in ("at (UTC)", "reason", "platform", "posts", "rows"):
        table.add_column(column)
    for r in rows:
        table.add_row(f"{r.at:%Y-%m-%d %H:%M}", r.reason, r.platform, str(r.posts),
                      str(r.rows))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(forget)
    app.command()(export)
    app.command()(erasures)
