"""Pages from Jinja2 templates with autoescaping on (the environment and the chart and
accuracy partials are the report's): anything from a post, a user or the config is
escaped; only the SVG charts drawn (and escaped) by socialbot.report.svg are not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from socialbot.report.templating import environment
from socialbot.web.auth import csrf_token

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

_env = environment(TEMPLATES)  # then the report's templates: the charts and accuracy partials


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
