"""`socialbot doctor`: are the credentials the configured sources need set, and do they work?"""

from __future__ import annotations

from typing import Annotated

import typer

from socialbot.cli.common import CliState, console, err_console

EXIT_PROBLEMS = 1


def doctor(
    ctx: typer.Context,
    online: Annotated[
        bool,
        typer.Option("--online", help="Also call each platform's cheapest endpoint "
                     "(X recent search / users/me, Reddit listing / api/v1/me)."),
    ] = False,
) -> None:
    """Check the environment variables each configured source needs (secrets are never shown)."""
    from connectors.base import ConnectorError, connector_class
    from connectors.credentials import PLATFORM_NAMES, Purpose, diagnose
    from socialbot.config import load_config
    from socialbot.errors import ConfigError

    state: CliState = ctx.find_root().obj or CliState()
    needs: dict[str, Purpose] = {}
    problems = 0
    try:
        config = load_config(state.config_path)
    except ConfigError as exc:
        err_console.print(f"[red]✗[/] config: {exc}", highlight=False, soft_wrap=True)
        problems += 1
        needs = dict.fromkeys(PLATFORM_NAMES, "read")
    else:
        purpose: Purpose = "read" if config.posting.dry_run else "post"
        for source in config.source:
            if not source.enabled:
                continue
            try:
                connector_class(source.kind)(source.name, source.options)
            except ConnectorError as exc:
                console.print(f"[red]✗[/] source {source.name!r}: {exc}", highlight=False,
                              soft_wrap=True)
                problems += 1
            if source.kind in PLATFORM_NAMES:
                needs[source.kind] = purpose
        if not needs:
            console.print("No X/Twitter or Reddit source is configured; nothing to check.")
    for finding in diagnose(needs, online=online):
        mark = "[green]✓[/]" if finding.ok else "[red]✗[/]"
        console.print(f"{mark} {finding.message}", highlight=False, soft_wrap=True)
        problems += not finding.ok
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
