"""Rendering a status snapshot as rich tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from socialbot.cli.spending_view import render_spending
from socialbot.health.status import health_note

_STATE_STYLE = {"ok": "green", "exhausted": "green", "backing_off": "yellow", "stopped": "red"}


def render_status(console: Console, s: dict[str, Any]) -> None:
    overview = Table(title="socialbot status", show_header=False)
    overview.add_row("database", s["database"])
    platforms = ", ".join(f"{k} {v}" for k, v in sorted(s["posts"]["by_platform"].items()))
    overview.add_row(
        "posts stored", f"{s['posts']['total']}" + (f" ({platforms})" if platforms else "")
    )
    overview.add_row("quarantined", str(s["quarantine"]["total"]))
    console.print(overview)
    for problem in s.get("problems", []):
        console.print(f"[red]problem:[/] {escape(problem)}")

    if s["stages"]:
        stages = Table(title="stages")
        stages.add_column("stage")
        stages.add_column("counts", overflow="fold")
        for row in s["stages"]:
            counts = ", ".join(f"{k} {v}" for k, v in row.items() if k not in ("stage", "kind"))
            stages.add_row(escape(row["stage"]), counts)
        console.print(stages)

    if s["sources"]:
        sources = Table(title="sources")
        for col in ("source", "kind", "state", "posts", "quarantined", "fetching", "detail"):
            sources.add_column(col, overflow="fold")
        for r in s["sources"]:
            style = _STATE_STYLE.get(r["state"], "")
            state = r["state"] + (f" until {r['retry_at']}" if r["retry_at"] else "")
            sources.add_row(
                escape(r["name"]),
                r["kind"],
                f"[{style}]{state}[/]",
                str(r["posts_stored"]),
                str(r["quarantined"]),
                escape(r.get("held_by") or "") + (" (lapsed)" if r.get("lease_lapsed") else ""),
                escape(" · ".join(filter(None, [r["detail"], health_note(r.get("health"))]))),
            )
        console.print(sources)
    render_spending(console, s.get("spending") or [])

    if s.get("drafts_not_posted"):
        failed = Table(title="approved drafts not posted (newest first): look on the platform",
                       title_style="bold red")
        for col in ("draft", "post", "when (UTC)", "why"):
            failed.add_column(col, overflow="fold")
        for r in s["drafts_not_posted"]:
            failed.add_row(str(r["draft"]), escape(r["post"]), r["at"][:19].replace("T", " "),
                           escape(r["error"] or ""))
        console.print(failed)

    if s["jobs"]:
        jobs = Table(title="jobs (handled: last run / in all)")
        for col in ("job", "finished (UTC)", "last", "in all", "runs", "last error"):
            jobs.add_column(col, overflow="fold")
        for r in s["jobs"]:
            finished = (r["last_finished"] or "")[:19].replace("T", " ") or "running"
            jobs.add_row(
                r["job"],
                finished,
                str(r["last_processed"]),
                str(r["total_processed"]),
                str(r["runs"]),
                escape(r["last_error"] or ""),
            )
        console.print(jobs)
