"""Each connector declares the options it accepts as a pydantic model, checked once at load."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from connectors.base import BadOptions

M = TypeVar("M", bound=BaseModel)


def parse_options(model: type[M], options: dict[str, Any]) -> M:
    """Validate a source's `options`; raise BadOptions naming the first bad key.

    The message leaves out the source's name because the core adds it
    (`source 'x' (kind 'twitter'): option 'page_size': ...`).
    """
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "options"
        if first["type"] == "extra_forbidden":
            known = ", ".join(sorted(model.model_fields))
            message = f"unknown option {key!r} (known: {known})"
        else:
            message = f"option {key!r}: {first['msg']}"
        raise BadOptions(message) from None
