"""`socialbot drafts` (list drafts, explain policy decisions) and `socialbot queue` (moderate)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from socialbot.cli.common import console, fail, get_config, get_store
from socialbot.config import Config

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when a command needs it
    from socialbot.store import Store


def drafts(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option(help="Only drafts with this status (repeatable): pending, approved, "
                     "rejected, posting, posted, dry-run, failed."),
    ] = None,
    why: Annotated[
        str | None,
        typer.Option("--why", metavar="POST_ID",
                     help="Explain the reply policy's decision for a post (ID or PLATFORM:ID)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many drafts.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List reply drafts, newest first, or explain why a post got a draft or not."""
    from socialbot.moderation.listing import explain, list_drafts
    from socialbot.store.drafts import DRAFT_STATUSES

    config = get_config(ctx)
    store = get_store(ctx, config)
    if why is not None:
        enabled = [w.name for w in config.watch if w.reply.enabled]
        found = explain(store, why, reply_watches=enabled)
        if not found:
            fail(f"no stored post has the id {why!r}")
        if as_json:
            for item in found:
                print(json.dumps(item, ensure_ascii=False))
            return
        for item in found:
            _print_explanation(item)
        return
    unknown = sorted(set(status or ()) - set(DRAFT_STATUSES))
    if unknown:
        fail(f"--status: unknown {', '.join(unknown)} (known: {', '.join(DRAFT_STATUSES)})")
    rows = list_drafts(store, statuses=status or None, limit=limit)
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table(title=f"drafts ({len(rows)} shown, newest first)")
    for col in ("id", "status", "post", "author", "draft", "flags", "by"):
        table.add_column(col, overflow="fold")
    for r in rows:
        text = (r["approved_text"] or r["text"])[:140]
        if r["status"] == "failed" and r["error"]:
            text += f" [not posted: {r['error']}]"
        table.add_row(str(r["id"]), r["status"], f"{r['platform']}:{r['post_id']}",
                      escape(r["author"] or ""), escape(text),
                      ", ".join(f["code"] for f in r["flags"]), escape(r["decided_by"] or ""))
    console.print(table)


def _print_explanation(item: dict[str, object]) -> None:
    console.print(f"[b]{item['platform']}:{item['post_id']}[/] by @{escape(str(item['author']))}: "
                  f"{escape(str(item['text']))}", highlight=False)
    console.print(f"  {escape(str(item['verdict']))}", highlight=False)
    draft = item.get("draft")
    if isinstance(draft, dict):
        console.print(f"  draft {draft['id']}: {draft['status']}"
                      + (f" by {draft['decided_by']}" if draft["decided_by"] else ""),
                      highlight=False)
        for flag in draft["flags"]:
            console.print(f"  flag {flag['code']}: {escape(flag['reason'])}", highlight=False)


def queue(
    ctx: typer.Context,
    log_file: Annotated[
        Path | None, typer.Option(help="Append one line per decision to this file.")
    ] = None,
) -> None:
    """Moderate pending drafts full-screen: approve, edit, reject, regenerate, and more.

    Also skip, undo, save as a saved reply, and correct what the classifier said about
    the post (key c)."""
    from socialbot.clock import WallClock
    from socialbot.drafting.loading import load_generator
    from socialbot.drafting.policy import brand_voice
    from socialbot.grounding.saved import check_saved_replies
    from socialbot.model_paths import check_drafting_paths
    from socialbot.moderation.app import QueueApp
    from socialbot.moderation.queue import ModerationQueue, moderator_name
    from socialbot.moderation.regenerate import Regenerator

    config = get_config(ctx)
    check_drafting_paths(config)  # regenerating loads it: refuse now, not mid-queue
    check_saved_replies(config)
    store = get_store(ctx, config)
    seed_saved_replies(store, config, now=WallClock().now())
    if log_file is not None:  # the screen is the app's; log lines go to a file only
        logging.basicConfig(filename=log_file, level=logging.INFO, force=True,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    moderation = ModerationQueue(
        store,
        moderator=moderator_name(config),
        claim_timeout=config.moderation.claim_timeout,
        regenerate_with=Regenerator(config, lambda: load_generator(config)),
        voices={w.name: brand_voice(w) for w in config.watch},
        handles={w.name: set(w.reply.handles) for w in config.watch},
        topics={w.name: [t.name for t in w.topic] for w in config.watch},
    )
    try:
        QueueApp(moderation).run()
    finally:
        moderation.release()


def seed_saved_replies(store: Store, config: Config, *, now: datetime) -> None:
    """Bring config.toml's saved replies into the store, so a name saved from the queue
    cannot clash with one from config."""
    from socialbot.grounding.saved import seed

    with store.transaction() as conn:
        seed(conn, config.watch, now=now)


def register(app: typer.Typer) -> None:
    app.command()(drafts)
    app.command()(queue)
