"""Pages from Jinja2 templates with autoescaping on: anything from a post, a user or the
config is escaped; only the SVG charts drawn (and escaped) by socialbot.report.svg are not."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from socialbot.web.auth import csrf_token

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,  # every template, whatever its name
    undefined=jinja2.StrictUndefined,
)


def _when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value:%Y-%m-%d %H:%M}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


_env.filters["when"] = _when
_env.filters["percent"] = _percent


def chart(svg: str) -> Markup:
    """An SVG chart from socialbot.report.svg, which escapes every label it draws."""
    return Markup(svg)


def render_fragment(name: str, **context: Any) -> Markup:
    """A piece of a page (the overview's live sections), escaped by the template."""
    return Markup(_env.get_template(name).render(**context))


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """The page `template` for this request's user, with the CSRF token its forms need."""
    config = request.app.state.config
    html = _env.get_template(template).render(
        request=request, user=getattr(request.state, "user", None), csrf=csrf_token(request),
        watches=[w.name for w in config.watch], **context)
    return HTMLResponse(html, status_code=status_code)
