"""Which environment variables each platform needs to read and to post, checked in plain words.

The variables themselves are facts of each connector class (`credentials`); this
module only reads them through `platform_connector`, so it imports no connector
and the connectors can import it. Secrets come only from the environment. Nothing
here ever puts a value in a message; only variable names appear.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.base import (
    CONNECTOR_KINDS,
    ConnectorError,
    CredentialsMissing,
    Purpose,
    Variable,
    connector_class,
    platform_connector,
)
from socialbot.domain import PLATFORMS

__all__ = ["Finding", "Purpose", "Variable", "diagnose", "explain_missing", "missing",
           "needed", "require", "secret_values"]


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def needed(platform: str, purpose: Purpose) -> tuple[Variable, ...]:
    """Variables `platform` needs for `purpose`; posting also needs what reading needs."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    variables = platform_connector(platform).credentials
    read = variables.get("read", ())
    return read + variables.get("post", ()) if purpose == "post" else read


def missing(platform: str, purpose: Purpose, env: Mapping[str, str] | None = None) -> list[str]:
    """Names of the variables `platform` needs for `purpose` that are unset or blank."""
    values = _env(env)
    return [v.name for v in needed(platform, purpose) if not values.get(v.name, "").strip()]


def explain_missing(
    platform: str, purpose: Purpose, env: Mapping[str, str] | None = None
) -> list[str]:
    """One plain-words line per missing variable, saying where its value comes from."""
    gone = set(missing(platform, purpose, env))
    reading = {v.name for v in needed(platform, "read")}
    shown = platform_connector(platform).display_name
    return [
        f"{shown} {'reading' if v.name in reading else 'posting replies'} "
        f"needs {v.name} ({v.where}); it is not set."
        for v in needed(platform, purpose)
        if v.name in gone
    ]


def require(
    platform: str, purpose: Purpose, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the variables' values, or raise CredentialsMissing naming every missing one."""
    problems = explain_missing(platform, purpose, env)
    if problems:
        raise CredentialsMissing(" ".join(problems),
                                 variables=tuple(missing(platform, purpose, env)))
    values = _env(env)
    return {v.name: values[v.name].strip() for v in needed(platform, purpose)}


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """Every secret value set in `env`, so loggers and messages can mask them."""
    values = _env(env)
    return [
        values[v.name]
        for kind in CONNECTOR_KINDS
        for group in connector_class(kind).credentials.values()
        for v in group
        if v.secret and values.get(v.name)
    ]


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of a credentials check: what was found, and whether it is fine."""

    platform: str
    ok: bool
    message: str


def diagnose(
    needs: Mapping[str, Purpose], *, online: bool = False, env: Mapping[str, str] | None = None,
    base_urls: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Check each platform's variables for its purpose, and with `online` that they work."""
    findings: list[Finding] = []
    for platform, purpose in needs.items():
        problems = explain_missing(platform, purpose, env)
        if problems:
            findings += [Finding(platform, False, line) for line in problems]
            continue
        names = ", ".join(v.name for v in needed(platform, purpose))
        verb = "reading" if purpose == "read" else "reading and posting"
        connector = platform_connector(platform)
        findings.append(Finding(platform, True, f"{connector.display_name} {verb}: "
                                                f"{names} set."))
        if not online:
            continue
        try:
            lines = connector.check_online(posting=purpose == "post", env=env,
                                           base_url=(base_urls or {}).get(platform))
        except ConnectorError as exc:
            findings.append(Finding(platform, False, f"{connector.display_name} online "
                                                     f"check failed: {exc}"))
        else:
            findings += [Finding(platform, True, line) for line in lines]
    return findings
