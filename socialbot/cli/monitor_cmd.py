"""Monitoring commands: trends, alerts and the HTML report."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from socialbot.cli.common import (
    console,
    count_progress,
    fail,
    get_config,
    get_store,
    setup_logging,
    verbosity,
)
from socialbot.config import Config, parse_duration

if TYPE_CHECKING:  # the store loads in the commands that use it
    from socialbot.store import Store


def _seconds(value: str, option: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        fail(f"{option}: {exc}")


def _bucket(config: Config, value: str | None) -> float:
    width = _seconds(value, "--bucket") if value else max(3600.0, config.trends.bucket)
    if width % config.trends.bucket:
        fail(f"--bucket: must be a multiple of the stored bucket ({config.trends.bucket:g}s)")
    return width


def trends(
    ctx: typer.Context,
    watch: Annotated[str | None, typer.Option(help="Watch to show (default: the first).")] = None,
    by: Annotated[
        str, typer.Option(help="Break down by topic, sentiment or platform.")
    ] = "sentiment",
    topic: Annotated[str | None, typer.Option(help="Only posts of this topic.")] = None,
    since: Annotated[
        str, typer.Option(help="How far back from the newest post, e.g. 7d, 12h.")
    ] = "7d",
    bucket: Annotated[
        str | None, typer.Option(help="Bucket width, e.g. 1h, 6h, 1d (default 1h).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the series as JSON.")] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            # \\[ keeps rich from reading "[trends]" as markup in --help
            help="Recount every classified post in the \\[trends] bucket width "
            "(needed after changing it); shows nothing.",
        ),
    ] = False,
) -> None:
    """Posts over time per topic, sentiment or platform: a table, a chart, or JSON."""
    from socialbot.watching.series import last_bucket, load_series
    from socialbot.watching.terminal import bar_chart, trends_table

    if by not in ("topic", "sentiment", "platform"):
        fail("--by: use topic, sentiment or platform")
    config = get_config(ctx)
    if rebuild:
        setup_logging(verbosity(ctx), quiet=True)
        _rebuild(ctx, config)
        return
    w = config.get_watch(watch)
    width = _bucket(config, bucket)
    store = get_store(ctx, config)
    with store.reading() as conn:
        newest = last_bucket(conn, w.name)
        end = (
            (newest + timedelta(seconds=config.trends.bucket))
            if newest
            else datetime.now(timezone.utc)
        )
        start = end - timedelta(seconds=_seconds(since, "--since"))
        series = load_series(
            conn, w.name, start=start, end=end, width=width, by=by, topic=topic  # type: ignore[arg-type]
        )
    if as_json:
        print(json.dumps({"watch": w.name, "by": by, "topic": topic} | series.to_json()))
        return
    about = f" about {topic}" if topic else ""
    console.print(
        trends_table(
            series, title=f"{w.name}: posts{about} by {by}, {since} to {end:%Y-%m-%d %H:%M}"
        )
    )
    bar_chart(console, series)


def _rebuild(ctx: typer.Context, config: Config) -> None:
    """Recount the trends at the configured width, with a progress bar."""
    from socialbot.stages.trends import TrendsStage, rebuild
    from socialbot.watching.bucket_width import width_label

    store = get_store(ctx, config)
    # Built directly, not through build_stages: that refuses a mismatched width,
    # which is exactly what a rebuild is run to fix.
    stage = TrendsStage(store, bucket=config.trends.bucket)
    with count_progress("recounting", transient=True) as on_progress:
        counted = rebuild(stage, on_progress=on_progress)
    console.print(
        f"recounted {counted} classified posts in {width_label(config.trends.bucket)} buckets"
    )


def alerts(
    ctx: typer.Context,
    watch: Annotated[str | None, typer.Option(help="Only this watch's alerts.")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 20,
    show: Annotated[int | None, typer.Option("--id", help="Show one alert in full.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the alerts as JSON.")] = False,
) -> None:
    """List alerts newest first, with what was seen, the baseline, the score and why.

    Rules firing on largely the same posts at the same time share one alert,
    listed with every rule and topic involved.
    """
    from socialbot.watching.views import list_alerts, text_summary

    config = get_config(ctx)
    store = get_store(ctx, config)
    with store.reading() as conn:
        found = list_alerts(conn, watch=watch, limit=limit if show is None else 100_000)
    if show is not None:
        found = [a for a in found if a["id"] == show]
        if not found:
            fail(f"no alert with id {show}")
    if as_json:
        print(json.dumps(found, indent=2))
        return
    if show is not None:
        console.print(text_summary(found[0]), highlight=False, markup=False)
        return
    print_alert_table(found, title=f"alerts (newest {len(found)})")


def print_alert_table(found: list[dict[str, Any]], *, title: str) -> None:
    """The alerts as a table: one row each, the rising phrases as the 'why'."""
    from socialbot.watching.views import rule_names

    if not found:
        console.print(f"{title}: none")
        return
    several = len({a["watch"] for a in found}) > 1
    table = Table(title=title)
    table.add_column("id", justify="right")
    table.add_column("status", no_wrap=True)
    if several:
        table.add_column("watch", no_wrap=True)
    table.add_column("rule", overflow="fold")
    table.add_column("window (UTC)", no_wrap=True)
    table.add_column("seen/base", justify="right", no_wrap=True)
    table.add_column("score", no_wrap=True)
    wide = console.width >= 140  # else the rising phrases go below the table
    if wide:
        table.add_column("why", overflow="fold", ratio=1)
    for a in found:
        score = f"{a['score']:.0%}" if a["kind"] == "threshold" else f"{a['score']:.0e}"
        row = [str(a["id"]), a["status"]] + ([a["watch"]] if several else [])
        row += [
            # one incident, one row: every rule that fired on its posts
            " + ".join(rule_names(a)),
            f"{a['window']['start'][5:16].replace('T', ' ')}-{a['window']['end'][11:16]}",
            f"{a['observed']:.0f}/{a['baseline']:.1f}",
            score,
        ]
        if wide:
            row.append(", ".join(p["phrase"] for p in a["phrases"][:3]))
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
    if not wide:
        for a in found:
            why = ", ".join(p["phrase"] for p in a["phrases"][:4]) or "no phrase stood out"
            console.print(f"  #{a['id']} rising: {why}", highlight=False)


def report(
    ctx: typer.Context,
    watch: Annotated[
        str | None, typer.Option(help="Watch to report on (default: the first).")
    ] = None,
    since: Annotated[str, typer.Option(help="How far back from the newest post, e.g. 7d.")] = "7d",
    bucket: Annotated[str | None, typer.Option(help="Chart bucket width (default 1h).")] = None,
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("report.html"),
) -> None:
    """Write one self-contained HTML report: volume and sentiment per topic, alerts, top posts."""
    from socialbot.report.html import build_report

    config = get_config(ctx)
    w = config.get_watch(watch)
    width = _bucket(config, bucket)
    store = get_store(ctx, config)
    with store.reading() as conn:
        page = build_report(
            conn,
            config,
            w,
            since=_seconds(since, "--since"),
            width=width,
        )
    out.write_text(page, encoding="utf-8")
    console.print(f"wrote {out} ({len(page) / 1024:.0f} KiB)")


#: stages a backtest does not run: it is about which alerts an archive raises
BACKTEST_SKIPS = ("deliver", "draft", "post")


def backtest_config(config: Config, folder: Path) -> Config:
    """`config` on a scratch SQLite database in `folder`, delivering nothing.

    A backtest (`replay --dry-run-alerts`) must leave the real store as it was:
    no posts, predictions, trend counts or alert-rule state from the archive.
    """
    database = config.database.model_copy(update={"url": f"sqlite:///{folder / 'backtest.db'}"})
    alerts = config.alerts.model_copy(update={"dry_run": True})
    return config.model_copy(update={"database": database, "alerts": alerts})


def alerts_after(store: Store, seen: Any) -> Any:
    """With `seen` None: the ids of the alerts stored now; else the alerts not in `seen`."""
    from socialbot.watching.views import list_alerts

    with store.reading() as conn:
        found = list_alerts(conn, limit=100_000)
    if seen is None:
        return {a["id"] for a in found}
    return [a for a in found if a["id"] not in seen]


def register(app: typer.Typer) -> None:
    app.command()(trends)
    app.command()(alerts)
    app.command()(report)
