"""config.toml parsed once into typed, validated objects.

Everything else receives the typed pieces it needs; nothing reads raw dicts.
Secrets never live here: they come from the environment (see `connectors`).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    model_validator,
)

from socialbot.domain import Topic
from socialbot.errors import ConfigError

CONFIG_ENV = "SOCIALBOT_CONFIG"
DEFAULT_CONFIG_NAME = "config.toml"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any) -> float:
    """Seconds from `30`, `"30s"`, `"5m"`, `"2h"`, `"7d"` or `"1w"`."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like '30s' or '5m', got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"expected a duration like '30s', '5m', '2h' or '7d', got {value!r}")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {value!r}")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Strict):
    """Where the store lives. Relative SQLite paths are relative to config.toml."""

    url: str = "sqlite:///var/socialbot.db"
    busy_timeout: Duration = 10.0


class DaemonConfig(_Strict):
    """How `socialbot run` schedules the stages."""

    #: stage name -> how often its job runs; stages not listed use `default_interval`
    intervals: dict[str, Duration] = Field(default_factory=dict)
    default_interval: Duration = 30.0
    #: posts a connector returns per page (one transaction each)
    page_size: int = Field(default=500, ge=1, le=10_000)
    workers: int = Field(default=4, ge=1, le=64)

    def interval(self, stage: str) -> float:
        return self.intervals.get(stage, self.default_interval)


class PostingConfig(_Strict):
    """Posting is off unless a person turns it on here."""

    dry_run: StrictBool = True


class TopicConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str = Field(min_length=1)
    examples: list[str] = Field(default_factory=list)

    def to_domain(self) -> Topic:
        return Topic(self.name, self.description, tuple(self.examples))


class WatchConfig(_Strict):
    """A brand (or product) being watched, and the topics it cares about."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    brand: str = ""
    topic: list[TopicConfig] = Field(default_factory=list)

    @property
    def topics(self) -> list[Topic]:
        return [t.to_domain() for t in self.topic]

    @model_validator(mode="after")
    def _unique_topics(self) -> WatchConfig:
        names = [t.name for t in self.topic]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"topic names must be unique, repeated: {', '.join(dupes)}")
        if "other" in names:
            raise ValueError("'other' is reserved for posts that match no topic")
        return self


class SourceConfig(BaseModel):
    """One `[[source]]`: a connector `kind` plus options that connector declares."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.:-]+$")
    kind: str
    watch: str | None = None
    enabled: StrictBool = True
    interval: Duration | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The connector-specific keys, checked by the connector itself at load."""
        return dict(self.model_extra or {})


class Config(_Strict):
    """The whole validated configuration."""

    path: Path | None = None
    database: DatabaseConfig = DatabaseConfig()
    daemon: DaemonConfig = DaemonConfig()
    posting: PostingConfig = PostingConfig()
    watch: list[WatchConfig] = Field(default_factory=list)
    source: list[SourceConfig] = Field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve_path(self, value: str | Path) -> Path:
        """A path from config, taken relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def get_watch(self, name: str | None) -> WatchConfig:
        """The watch called `name`, or the first one when `name` is None."""
        if not self.watch:
            raise ConfigError(f"{self.path or 'config'}: no [[watch]] is configured")
        if name is None:
            return self.watch[0]
        for w in self.watch:
            if w.name == name:
                return w
        known = ", ".join(w.name for w in self.watch)
        raise ConfigError(f"no watch named {name!r} (configured: {known})")

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        watches = [w.name for w in self.watch]
        for i, w in enumerate(watches):
            if watches.index(w) != i:
                raise ValueError(f"watch[{i}].name: {w!r} is used twice")
        names: set[str] = set()
        for i, s in enumerate(self.source):
            if s.name in names:
                raise ValueError(f"source[{i}].name: {s.name!r} is used twice")
            names.add(s.name)
            if s.watch is not None and s.watch not in watches:
                raise ValueError(f"source[{i}].watch: no watch named {s.watch!r}")
        return self


def find_config_path(explicit: Path | None = None) -> Path:
    """`--config`, else $SOCIALBOT_CONFIG, else ./config.toml."""
    if explicit is not None:
        return explicit
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return Path.cwd() / DEFAULT_CONFIG_NAME


def load_config(path: Path | None = None) -> Config:
    """Read and validate a config file; any problem raises one ConfigError."""
    path = find_config_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found (pass --config PATH or set {CONFIG_ENV})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data, path=path.resolve())


def parse_config(data: dict[str, Any], *, path: Path | None = None) -> Config:
    """Validate an already-parsed TOML document."""
    try:
        return Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None


def _describe(exc: ValidationError, path: Path | None) -> str:
    """One line per problem, naming the key as it is written in config.toml."""
    where = str(path) if path else "config"
    lines = []
    for err in exc.errors():
        key = _key_name(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see the commented config.toml)"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        lines.append(f"{where}: {key}: {msg}" if key else f"{where}: {msg}")
    return "\n".join(lines)


def _key_name(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("function-"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out
