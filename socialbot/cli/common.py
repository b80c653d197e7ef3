"""What every command shares: loading config, opening the store, consoles, logging."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from socialbot.config import Config, load_config
from socialbot.errors import EXIT_CONFIG, ConfigError, SocialbotError, StoreError

if TYPE_CHECKING:  # the store (SQLAlchemy) loads in the commands that use it
    from models.classifier import PostClassifier
    from socialbot.store import Store

console = Console(emoji=False)  # names like "ingest:x:" are data, not emoji codes
err_console = Console(stderr=True, emoji=False)

@dataclass
class CliState:
    config_path: Path | None = None
    verbose: int = 0


def fail(message: str, *, code: int = 1) -> NoReturn:
    # the message often quotes user input (paths, config values): print it as written
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class SocialbotCommands(TyperGroup):
    """The root command group: any `SocialbotError` a command lets through ends it as one
    `error:` line and the error's documented exit code (socialbot.errors), never a
    traceback, however deep the command it came from."""

    # Any: the Context class is click's or, from typer 0.29, typer's own copy of click
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SocialbotError as exc:
            fail(str(exc), code=exc.exit_code)


def get_config(ctx: typer.Context) -> Config:
    """The validated config; a bad one ends the command with exit code 2."""
    state: CliState = ctx.find_root().obj or CliState()
    try:
        return load_config(state.config_path)
    except ConfigError as exc:
        fail(str(exc), code=EXIT_CONFIG)


def get_store(ctx: typer.Context, config: Config, *, migrate: bool = True) -> Store:
    """Open the configured store for one command; its connections close with the command,
    however it ends (fail() included): a PostgreSQL server counts every connection left
    open until the process exits."""
    from socialbot.store import open_store

    try:
        store = open_store(config, migrate=migrate)
    except StoreError as exc:
        fail(str(exc))
    ctx.call_on_close(store.dispose)
    return store


def setup_logging(verbose: int, *, quiet: bool = False) -> None:
    """Only the CLI configures handlers; library code just logs."""
    from rich.logging import RichHandler

    level = (
        logging.DEBUG if verbose > 1 else logging.INFO if verbose or not quiet else logging.WARNING
    )
    logging.basicConfig(
        level=level,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=err_console, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    for noisy in ("apscheduler", "alembic", "httpx", "urllib3", "prawcore", "tweepy"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def verbosity(ctx: typer.Context) -> int:
    state: CliState = ctx.find_root().obj or CliState()
    return state.verbose


@contextmanager
def count_progress(label: str, *, transient: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress bar for work that reports (done, total); yields that reporting callback."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=transient) as progress:
        task = progress.add_task(label, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def open_classifier(path: Path | None, *, named_by: str, **options: Any) -> PostClassifier:
    """`models.classifier.load_classifier`, but a folder that holds no classifier ends the
    command with one line naming where the path came from (`named_by`: "--model" or
    "[classifier] model") and exit code 2, as any bad setting does."""
    from models.artefact import ArtefactError
    from models.classifier import load_classifier

    try:
        return load_classifier(path, **options)
    except (ArtefactError, OSError) as exc:
        fail(f"{named_by}: {exc}", code=2)


def open_configured_classifier(config: Config, model: Path | None, *,
                               watch: str | None = None, **options: Any) -> PostClassifier:
    """The classifier `--model` names, else `watch`'s (its `classifier`, else `[classifier]
    model`, else the shipped one), on the configured device and threads; `options` go to
    `load_classifier`."""
    settings = config.classifier
    options.setdefault("topic_encoder", settings.topic_encoder)
    own = any(w.name == watch and w.classifier for w in config.watch)
    return open_classifier(
        model or config.classifier_folder(watch),
        named_by="--model" if model else (f"watch {watch}: classifier" if own
                                          else "[classifier] model"),
        device=settings.device or None, num_threads=settings.threads, **options)
