"""`socialbot doctor`: are the credentials the configured sources need set, and do they work?"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from socialbot.cli.common import CliState, console, err_console

EXIT_PROBLEMS = 1


def doctor(
    ctx: typer.Context,
    online: Annotated[
        bool,
        typer.Option("--online", help="Also try each source with one cheap request (X: its "
                     "query over the last minute; Reddit: one item of its listing) and, with "
                     "posting on, who the replies are posted as."),
    ] = False,
    send_test: Annotated[
        bool,
        typer.Option("--send-test", help="Send a test message through every configured channel "
                     "(Slack/webhook, e-mail, console)."),
    ] = False,
) -> None:
    """Check the credentials each source needs (never shown); try sources and channels for real."""
    from connectors.base import ConnectorError, connector_class
    from connectors.credentials import Purpose, diagnose
    from socialbot.config import Config, load_config
    from socialbot.domain import PLATFORMS
    from socialbot.errors import ConfigError

    state: CliState = ctx.find_root().obj or CliState()
    needs: dict[str, Purpose] = {}
    problems = 0
    config: Config | None = None
    try:
        config = load_config(state.config_path)
    except ConfigError as exc:
        err_console.print(f"[red]✗[/] config: {exc}", highlight=False, soft_wrap=True)
        problems += 1
        needs = dict.fromkeys(PLATFORMS, "read")
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
            if source.kind in PLATFORMS:
                needs[source.kind] = purpose
        if not needs:
            console.print("No X/Twitter or Reddit source is configured; nothing to check.")
    findings: list[tuple[bool, str]] = [(f.ok, f.message) for f in diagnose(needs)]
    # online: only once every source is well configured and its variables are set
    if online and config and needs and not problems and all(ok for ok, _ in findings):
        from socialbot.health.online import check_sources

        findings += [(c.ok, c.message) for c in check_sources(config)]
    if send_test and config:
        from socialbot.health.online import send_tests

        checks = send_tests(config)
        findings += [(c.ok, c.message) for c in checks] or [(False, "no [[channel]] is "
                                                             "configured to send a test to")]
    for ok, message in findings:
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        console.print(f"{mark} {escape(message)}", highlight=False, soft_wrap=True)
        problems += not ok
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
