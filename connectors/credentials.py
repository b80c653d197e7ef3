"""Which environment variables each platform needs to read and to post, checked in plain words.

Secrets come only from the environment. Nothing here ever puts a value in a
message; only variable names appear.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from connectors.base import ConnectorError, CredentialsMissing

Purpose = Literal["read", "post"]


@dataclass(frozen=True, slots=True)
class Variable:
    """One environment variable and where a person gets its value."""

    name: str
    where: str
    secret: bool = True


_X_APP = "developer.x.com > your Project's App > Keys and tokens"
_REDDIT_APP = "reddit.com/prefs/apps, a 'script' app"

VARIABLES: dict[tuple[str, Purpose], tuple[Variable, ...]] = {
    ("twitter", "read"): (Variable("TWITTER_BEARER_TOKEN", f"Bearer Token at {_X_APP}"),),
    ("twitter", "post"): (
        Variable("TWITTER_API_KEY", f"API Key at {_X_APP}"),
        Variable("TWITTER_API_SECRET", f"API Key Secret at {_X_APP}"),
        Variable("TWITTER_ACCESS_TOKEN", f"Access Token (Read and Write) at {_X_APP}"),
        Variable("TWITTER_ACCESS_TOKEN_SECRET", f"Access Token Secret at {_X_APP}"),
    ),
    ("reddit", "read"): (
        Variable("REDDIT_CLIENT_ID", f"the id under the app name at {_REDDIT_APP}"),
        Variable("REDDIT_CLIENT_SECRET", f"'secret' at {_REDDIT_APP}"),
        Variable(
            "REDDIT_USER_AGENT",
            "a descriptive user agent, e.g. 'socialbot/0.1 by u/yourname'",
            secret=False,
        ),
    ),
    ("reddit", "post"): (
        Variable("REDDIT_USERNAME", "the Reddit account the bot posts as", secret=False),
        Variable("REDDIT_PASSWORD", "that account's password"),
    ),
}

PLATFORM_NAMES = {"twitter": "X/Twitter", "reddit": "Reddit"}


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def needed(platform: str, purpose: Purpose) -> tuple[Variable, ...]:
    """Variables `platform` needs for `purpose`; posting also needs what reading needs."""
    if (platform, "read") not in VARIABLES:
        raise ValueError(f"unknown platform {platform!r}")
    read = VARIABLES[(platform, "read")]
    return read + VARIABLES[(platform, "post")] if purpose == "post" else read


def missing(platform: str, purpose: Purpose, env: Mapping[str, str] | None = None) -> list[str]:
    """Names of the variables `platform` needs for `purpose` that are unset or blank."""
    values = _env(env)
    return [v.name for v in needed(platform, purpose) if not values.get(v.name, "").strip()]


def explain_missing(
    platform: str, purpose: Purpose, env: Mapping[str, str] | None = None
) -> list[str]:
    """One plain-words line per missing variable, saying where its value comes from."""
    gone = set(missing(platform, purpose, env))
    reading = {v.name for v in VARIABLES[(platform, "read")]}
    return [
        f"{PLATFORM_NAMES[platform]} {'reading' if v.name in reading else 'posting replies'} "
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
        for group in VARIABLES.values()
        for v in group
        if v.secret and values.get(v.name)
    ]


def check_online(
    platform: str, *, posting: bool = False, env: Mapping[str, str] | None = None,
    base_url: str | None = None,
) -> list[str]:
    """Call a cheap endpoint with the configured credentials; return what a person should read.

    Raises ConnectorError (SourceStopped, TransientError, RateLimited) when the
    platform refuses; the message names what to fix.
    """
    if platform == "twitter":
        import connectors.twitter

        return connectors.twitter.check_online(posting=posting, env=env, base_url=base_url)
    if platform == "reddit":
        import connectors.reddit

        return connectors.reddit.check_online(posting=posting, env=env, base_url=base_url)
    raise ValueError(f"unknown platform {platform!r}")


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
        findings.append(Finding(platform, True, f"{PLATFORM_NAMES[platform]} {verb}: "
                                                f"{names} set."))
        if not online:
            continue
        try:
            lines = check_online(platform, posting=purpose == "post", env=env,
                                 base_url=(base_urls or {}).get(platform))
        except ConnectorError as exc:
            findings.append(Finding(platform, False, f"{PLATFORM_NAMES[platform]} online "
                                                     f"check failed: {exc}"))
        else:
            findings += [Finding(platform, True, line) for line in lines]
    return findings
