"""The `socialbot` command line: a thin layer over library functions.

Each area of the CLI lives in its own module with a `register(app)` function;
`COMMAND_MODULES` lists them. Heavy imports (torch, SDKs) stay inside commands so
`socialbot --help` is instant.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from socialbot.cli.common import CliState, SocialbotCommands

COMMAND_MODULES: tuple[str, ...] = (
    "socialbot.cli.core",
    "socialbot.cli.pipeline_cmd",
    "socialbot.cli.replies_cmd",
    "socialbot.cli.monitor_cmd",
    "socialbot.cli.doctor",
    "socialbot.cli.drafts_cmd",
    "socialbot.cli.models_cmd",
    "socialbot.cli.privacy_cmd",
    "socialbot.cli.labels_cmd",
    "socialbot.cli.users_cmd",
    "socialbot.cli.serve_cmd",
)

app = typer.Typer(
    name="socialbot",
    cls=SocialbotCommands,
    help="Watch what people say about a brand on X/Twitter and Reddit, and draft "
    "replies that a person approves before anything is posted.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="SOCIALBOT_CONFIG",
        help="config.toml to use (default: ./config.toml).",
        show_default=False,
    ),
]
VerboseOption = Annotated[
    int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")
]


@app.callback()
def _root(ctx: typer.Context, config: ConfigOption = None, verbose: VerboseOption = 0) -> None:
    """Watch what people say about a brand and draft replies a person approves."""
    ctx.obj = CliState(config_path=config, verbose=verbose)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Console-script entry point; errors become one line and an exit code (SocialbotCommands)."""
    app()
