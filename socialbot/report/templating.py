"""The Jinja2 environment the report and the web dashboard render with: autoescaping on,
and the report's templates (charts, accuracy) loadable by both, so each is written once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

#: the report's page and the partials the dashboard shares with it
TEMPLATES = Path(__file__).parent / "templates"


def when(value: datetime | str | None) -> str:
    """A UTC time to the minute, as every page and the report print it."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value:%Y-%m-%d %H:%M}"


def percent(value: float | None) -> str:
    """A share as a whole percentage; "n/a" where there was nothing to divide."""
    return "n/a" if value is None else f"{value:.0%}"


def chart(svg: str) -> Markup:
    """An SVG chart from socialbot.report.svg, which escapes every label it draws."""
    return Markup(svg)


def environment(*folders: Path) -> jinja2.Environment:
    """Templates from `folders` first, then the report's own; everything they print is
    escaped unless it was marked safe (only the SVG charts are)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*folders, TEMPLATES]),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = when
    env.filters["percent"] = percent
    return env


_report = environment()


def render(template: str, **context: Any) -> Markup:
    """`template` from the report's folder; safe to embed, since it escaped what it printed."""
    return Markup(_report.get_template(template).render(**context))
