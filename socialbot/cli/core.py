"""The spine's commands: run, replay, status, db."""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from socialbot.cli.common import console, fail, get_config, get_store, setup_logging, verbosity
from socialbot.errors import ConfigError

if TYPE_CHECKING:
    from socialbot.config import Config
    from socialbot.store import Store


def run(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Run every stage until its input is drained, then exit.")
    ] = False,
    only: Annotated[
        str | None,
        typer.Option(help="Comma-separated stage kinds to run here (e.g. ingest,classify)."),
    ] = None,
) -> None:
    """Run the daemon: every stage of the flow as a scheduled job (Ctrl-C stops cleanly)."""
    from socialbot.daemon import install_stop_signals, run_scheduled, run_until_drained
    from socialbot.grounding.saved import check_saved_replies
    from socialbot.model_paths import check_classifier_path, check_drafting_paths
    from socialbot.stages import StageContext, build_stages, stage_kinds

    setup_logging(verbosity(ctx))
    config = get_config(ctx)
    kinds = _parse_only(only, stage_kinds())
    # a wrong model path refuses here, naming the key, not at every batch of a job
    if kinds is None or "classify" in kinds:
        check_classifier_path(config)
    if kinds is None or "draft" in kinds:
        check_drafting_paths(config)
        check_saved_replies(config)
    store = get_store(ctx, config)
    stop = threading.Event()
    try:
        stages = build_stages(StageContext(config=config, store=store, stop=stop), only=kinds)
    except ConfigError as exc:
        fail(str(exc), code=2)
    if not stages:
        fail("nothing to run: no stage is configured (add a [[source]] to config.toml)")
    restore = install_stop_signals(stop)
    try:
        if once:
            totals = run_until_drained(stages, store, stop)
            for name, count in totals.items():
                console.print(f"{name}: {count} handled")
        else:
            run_scheduled(stages, store, config.daemon, stop)
    finally:
        restore()
        for stage in stages:
            stage.close()


def _parse_only(only: str | None, known: list[str]) -> set[str] | None:
    if not only:
        return None
    kinds = {k.strip() for k in only.split(",") if k.strip()}
    unknown = kinds - set(known)
    if unknown:
        fail(f"--only: unknown stage(s) {', '.join(sorted(unknown))} (known: {', '.join(known)})")
    return kinds


def replay(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(help="JSONL file of posts ('-' for stdin, 'builtin:demo_stream').")
    ],
    from_start: Annotated[
        bool,
        typer.Option(
            "--from-start", help="Read the whole file again (stored posts stay deduplicated)."
        ),
    ] = False,
    ingest_only: Annotated[
        bool, typer.Option("--ingest-only", help="Store the posts but run no later stage.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    dry_run_alerts: Annotated[
        bool,
        typer.Option(
            "--dry-run-alerts",
            help="Backtest: replay into a scratch database and print the alerts raised; "
            "nothing is stored or delivered, no replies are drafted.",
        ),
    ] = False,
) -> None:
    """Feed a JSONL file through every stage as fast as possible, on the posts' own timestamps."""
    from socialbot.cli.monitor_cmd import backtest_config

    setup_logging(verbosity(ctx), quiet=True)
    config = get_config(ctx)
    with contextlib.ExitStack() as scratch:
        if dry_run_alerts:
            config = backtest_config(config, Path(scratch.enter_context(TemporaryDirectory())))
        store = get_store(ctx, config)
        scratch.callback(store.dispose)  # before the scratch directory is deleted
        _replay(store, config, file, from_start, ingest_only, as_json, dry_run_alerts)


def _replay(
    store: Store,
    config: Config,
    file: str,
    from_start: bool,
    ingest_only: bool,
    as_json: bool,
    dry_run_alerts: bool,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from connectors.base import ConnectorError
    from socialbot.cli.monitor_cmd import BACKTEST_SKIPS, alerts_after, print_alert_table
    from socialbot.replay import ReplaySummary, replay_file

    seen = alerts_after(store, None)
    with Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("lines"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("replay", total=None)

        def on_page(summary: ReplaySummary) -> None:
            progress.update(task, completed=summary.lines_read)

        try:
            summary = replay_file(
                config,
                store,
                file,
                from_start=from_start,
                downstream=not ingest_only,
                exclude=BACKTEST_SKIPS if dry_run_alerts else (),
                on_page=on_page,
            )
        except ConnectorError as exc:
            fail(str(exc))
    raised = alerts_after(store, seen) if dry_run_alerts else []
    if as_json:
        extra = {"alerts": raised} if dry_run_alerts else {}
        print(json.dumps(summary.__dict__ | {"posts_per_second": summary.posts_per_second} | extra))
        return
    table = Table(title=f"replay of {file}", show_header=False)
    table.add_row("lines read", str(summary.lines_read))
    table.add_row("new posts stored", str(summary.new_posts))
    table.add_row("already stored", str(summary.duplicates))
    table.add_row("quarantined", str(summary.quarantined))
    for stage, count in summary.stages.items():
        table.add_row(f"{stage}", f"{count} handled")
    rate = summary.posts_per_second  # a few posts behind a model load: "0 posts/s" misleads
    table.add_row("time", f"{summary.seconds:.2f}s ({rate:,.{0 if rate >= 10 else 1}f} posts/s)")
    console.print(table)
    if summary.quarantined:
        console.print("see the quarantined lines with [bold]socialbot quarantine[/]")
    if dry_run_alerts:
        print_alert_table(raised, title=f"alerts this replay would raise ({len(raised)})")
        console.print("dry run: replayed into a scratch database, now deleted; nothing was stored")


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show counts per stage, quarantine, each source's state and each job's last run."""
    from socialbot.stages import StageContext, build_stages
    from socialbot.status import gather_status
    from socialbot.watching.bucket_width import BucketWidthMismatch

    config = get_config(ctx)
    store = get_store(ctx, config)
    stage_ctx = StageContext(config=config, store=store)
    problems: list[str] = []
    try:
        stages = build_stages(stage_ctx)
    except BucketWidthMismatch as exc:
        # status is where one looks when `run` refuses: show the rest, and the reason
        problems.append(str(exc))
        stages = build_stages(stage_ctx, exclude={"trends", "alerts"})
    except ConfigError as exc:
        fail(str(exc), code=2)
    from socialbot.metering.summary import current_spending

    snapshot = gather_status(store, stages) | {
        "problems": problems, "spending": current_spending(store, config)}
    if as_json:
        print(json.dumps(snapshot, indent=2))
        return
    from socialbot.cli.status_view import render_status

    render_status(console, snapshot)


def quarantine(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Show at most this many records.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List quarantined records, newest first, with their reason and source position."""
    from sqlalchemy import select

    from socialbot.store.ingest import QUARANTINE

    config = get_config(ctx)
    store = get_store(ctx, config)
    with store.engine.connect() as conn:
        rows = conn.execute(select(QUARANTINE).order_by(QUARANTINE.c.id.desc()).limit(limit)).all()
    if as_json:
        for r in rows:
            print(
                json.dumps(
                    {
                        "source": r.source,
                        "position": r.position,
                        "reason": r.reason,
                        "raw": r.raw,
                        "at": r.created_at.isoformat(),
                    }
                )
            )
        return
    table = Table(title=f"quarantine (newest {len(rows)})")
    for col in ("source", "position", "reason", "record"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*(escape(cell) for cell in (r.source, r.position, r.reason, r.raw[:120])))
    console.print(table)


db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every pending migration (also done automatically at start)."""
    config = get_config(ctx)
    store = get_store(ctx, config, migrate=False)
    before = store.current_revisions()
    store.upgrade()
    after = store.current_revisions()
    if before == after:
        console.print(f"{store.safe_url}: already at {', '.join(sorted(after))}")
    else:
        console.print(f"{store.safe_url}: upgraded to {', '.join(sorted(after))}")


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(replay)
    app.command()(status)
    app.command()(quarantine)
    app.add_typer(db_app, name="db")
