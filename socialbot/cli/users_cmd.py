"""`socialbot users add|list|remove`: who may log in to the web dashboard (`socialbot serve`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from socialbot.cli.common import console, fail, get_config, get_store

users_app = typer.Typer(
    help="People who may log in to the web dashboard (`socialbot serve`), with their role.",
    no_args_is_help=True,
)

ROLES = ("viewer", "moderator", "admin")


@users_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ - @).")],
    role: Annotated[
        str,
        typer.Option(help="viewer: reads every page; moderator: also approves, edits and "
                     "rejects drafts; admin: the same as moderator."),
    ] = "viewer",
) -> None:
    """Add a dashboard user; the password is asked for twice and stored as an argon2 hash."""
    from socialbot.store.web_users import Role, add_user

    if role not in ROLES:
        fail(f"--role: use {', '.join(ROLES)}")
    config = get_config(ctx)
    store = get_store(ctx, config)
    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    user = add_user(store, name, role=Role(role), password=password)
    console.print(f"added {escape(user.name)} ({user.role})", highlight=False)


@users_app.command("list")
def list_(ctx: typer.Context) -> None:
    """List dashboard users with their role."""
    from socialbot.store.web_users import list_users

    config = get_config(ctx)
    found = list_users(get_store(ctx, config))
    if not found:
        console.print("no dashboard users yet: add one with "
                      "`socialbot users add NAME --role admin`")
        return
    table = Table(title="dashboard users")
    for column in ("name", "role", "added (UTC)"):
        table.add_column(column)
    for user in found:
        table.add_row(escape(user.name), user.role, f"{user.created_at:%Y-%m-%d %H:%M}")
    console.print(table)


@users_app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user to remove.")],
) -> None:
    """Remove a dashboard user; their open sessions end at once."""
    from socialbot.store.web_users import remove_user

    config = get_config(ctx)
    remove_user(get_store(ctx, config), name)
    console.print(f"removed {escape(name)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
