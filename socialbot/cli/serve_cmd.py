"""`socialbot serve`: the web dashboard on uvicorn, over the configured store."""

from __future__ import annotations

from typing import Annotated

import typer

from socialbot.cli.common import console, fail, get_config, get_store, setup_logging, verbosity


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies",
                           help="Mark cookies Secure on every response (the site is only "
                           "reached over https, e.g. through a TLS reverse proxy).")
    ] = False,
    proxy: Annotated[
        str | None,
        typer.Option("--proxy", metavar="ADDRESSES",
                     help="Trust X-Forwarded-For / X-Forwarded-Proto from these proxy "
                     "addresses (comma-separated, e.g. 127.0.0.1): client addresses for the "
                     "login rate limit and Secure cookies when the proxy speaks https. "
                     "Without it those headers are ignored."),
    ] = None,
) -> None:
    """Serve the web dashboard (logins from `socialbot users add`); Ctrl-C stops it.

    Pages: an overview per watch, alerts, posts, drafts and the model."""
    import uvicorn

    from socialbot.store.web_users import count_users
    from socialbot.web.app import build_app

    setup_logging(verbosity(ctx))
    config = get_config(ctx)
    store = get_store(ctx, config)
    if count_users(store) == 0:
        fail("no dashboard user yet: add one first with "
             "`socialbot users add NAME --role admin`")
    app = build_app(config, store, secure_cookies=secure_cookies)
    console.print(f"socialbot dashboard on http://{host}:{port}/ (Ctrl-C stops it)",
                  highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=proxy is not None, forwarded_allow_ips=proxy or None)


def register(app: typer.Typer) -> None:
    app.command()(serve)
