"""config.toml parsed once into typed, validated objects.

Everything else receives the typed pieces it needs; nothing reads raw dicts.
Secrets never live here: they come from the environment (see `connectors`).
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from socialbot.domain import Topic, normalise_handle
from socialbot.errors import ConfigError
from socialbot.grounding.slots import slot_errors

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


def parse_day(value: Any) -> date:
    """A calendar day from a TOML date (`2006-03-21`) or the same as a string."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a day like 2006-03-21, got {value!r}")


Day = Annotated[date, BeforeValidator(parse_day)]
#: an account handle, "@Parcelly" or "parcelly", held as every comparison wants it
Handle = Annotated[str, AfterValidator(normalise_handle)]


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

    @field_validator("intervals")
    @classmethod
    def _known_stages(cls, intervals: dict[str, float]) -> dict[str, float]:
        # a misspelt stage would silently keep the default interval
        from socialbot.stages import stage_kinds  # late: the stages import this module

        known = stage_kinds()
        unknown = sorted(set(intervals) - set(known))
        if unknown:
            raise ValueError(f"unknown stage {', '.join(unknown)} "
                             f"(the stages are {', '.join(known)})")
        return intervals

    def interval(self, stage: str) -> float:
        return self.intervals.get(stage, self.default_interval)


class PostingBudget(_Strict):
    """The most replies the poster sends on one platform per hour and per day."""

    per_hour: int = Field(default=10, ge=0)
    per_day: int = Field(default=100, ge=0)


class PostingConfig(_Strict):
    """Posting is off unless a person turns it on here."""

    dry_run: StrictBool = True
    #: platform -> budget; platforms not listed get the default budget
    budget: dict[str, PostingBudget] = Field(default_factory=dict)

    def budget_for(self, platform: str) -> PostingBudget:
        return self.budget.get(platform, PostingBudget())


class ModerationConfig(_Strict):
    """The moderation queue: who decides, and how long a claim on a draft lasts."""

    #: recorded in the audit log; the OS user when empty
    name: str = ""
    claim_timeout: Duration = 600.0


class DraftingConfig(_Strict):
    """The reply generator the `draft` stage loads on its first batch."""

    #: "local": a model run in this process; "openai": any OpenAI-compatible server
    backend: Literal["local", "openai"] = "local"
    #: local: "gemma3-270m" (= "", the default) or "smollm2-135m" for a packaged base with
    #: the project's adapter, or a Hugging Face model folder or .gguf file;
    #: openai: the model name the server serves
    model: str = ""
    #: a LoRA adapter folder; "default" = the project's, "none" = the bare model
    adapter: str = "default"
    #: drafts per batch: 16 at once cost about 3.5x less per draft than 1 at a time on CPU
    batch_size: int = Field(default=16, ge=1, le=256)
    #: no new drafts while this many wait for a moderator (drafts go stale unread)
    max_pending: int = Field(default=50, ge=1, le=100_000)
    max_attempts: int = Field(default=3, ge=1, le=10)
    max_new_tokens: int = Field(default=80, ge=8, le=1024)
    threads: int | None = Field(default=None, ge=1)
    seed: int = 0
    #: openai: the server's API root, e.g. "http://127.0.0.1:8000/v1" (no path: /v1)
    base_url: str = ""
    #: openai: the name of the environment variable holding the API key ("" = none)
    api_key_env: str = ""
    #: openai: the longest wait for one reply before it is retried
    timeout: Duration = 60.0
    #: openai: requests in flight at once (a GPU server batches them)
    concurrency: int = Field(default=4, ge=1, le=64)
    #: a post that waited longer than this (on the stream's clock) gets no draft; unset = any age
    max_post_age: Duration | None = None
    #: approved replies to the most similar posts shown to the generator; 0 = none
    examples: int = Field(default=3, ge=0, le=10)

    @model_validator(mode="after")
    def _server_settings(self) -> DraftingConfig:
        if self.backend != "openai":
            return self
        if not self.base_url:
            raise ValueError('backend = "openai" needs base_url, e.g. "http://127.0.0.1:8000/v1"')
        if not re.match(r"^https?://[^/\s]+", self.base_url):
            raise ValueError("base_url: expected an http:// or https:// URL")
        if not self.model:
            raise ValueError('backend = "openai" needs model: the name the server serves')
        if self.api_key_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.api_key_env):
            # the value may be the key itself, pasted by mistake: never repeat it
            raise ValueError("api_key_env: must name an environment variable "
                             "(like SOCIALBOT_OPENAI_KEY), not hold the key")
        return self


class ClassifierConfig(_Strict):
    """The sentiment + topic model the classify stage runs."""

    #: false: posts are stored but not classified (and later stages see nothing)
    enabled: StrictBool = True
    #: "" = the artefact shipped in models/; or any local HF sequence-classification folder
    model: str = ""
    #: that folder's label names -> negative/neutral/positive, when they differ
    labels: dict[str, str] = Field(default_factory=dict)
    #: "" = cuda when available, else cpu
    device: str = ""
    #: int8 quantisation of the Linear layers on CPU, per row (ignored on GPU); "auto":
    #: only where this CPU multiplies int8 faster than float32 (timed once at load)
    quantize: StrictBool | Literal["auto"] = "auto"
    threads: int | None = Field(default=None, ge=1)
    batch_size: int = Field(default=64, ge=1, le=4096)
    #: posts claimed per stage batch (one transaction)
    claim_size: int = Field(default=512, ge=1, le=100_000)
    #: a topic is assigned when its score reaches this; none reached -> "other"
    topic_threshold: float = Field(default=0.25, ge=-1.0, le=1.0)
    #: a post also counts under a second (third) topic only when its score is within
    #: this of the best one: a post about lost luggage is not also about booking
    topic_margin: float = Field(default=0.05, ge=0.0, le=2.0)
    #: "base": topics scored on the frozen base encoder (a second pass per post, the
    #: most accurate); "projected": on the fine-tuned pass mapped into the base's space
    #: by the model's topic projection (half the cost, nearly as accurate); "shared": on
    #: the fine-tuned pass as it is (half the cost, far less accurate)
    topic_encoder: Literal["base", "projected", "shared"] = "base"


class TopicConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str = Field(min_length=1)
    examples: list[str] = Field(default_factory=list)

    def to_domain(self) -> Topic:
        return Topic(self.name, self.description, tuple(self.examples))


class ReplyPolicyConfig(_Strict):
    """`[watch.reply]`: which posts get a drafted reply (see socialbot.drafting.policy)."""

    enabled: StrictBool = False
    platforms: list[str] = Field(default_factory=lambda: ["twitter", "reddit"])
    #: the brand's own accounts: mentions address the brand, their posts are never answered
    #: (held bare and lower case, however written)
    handles: list[Handle] = Field(default_factory=list)
    #: subreddits (no r/) whose posts all address the brand
    subreddits: list[str] = Field(default_factory=list)
    #: what makes an addressed post worth a reply: "complaint" and "question" (read by the
    #: classifier's need head; with a model without it, a complaint is negative sentiment),
    #: "negative" (any negative post, complaint or not)
    reply_to: list[str] = Field(default_factory=lambda: ["complaint", "question"])
    #: true: a question needs one of the watch's topics (not "other"), so chit-chat gets
    #: none; off by default, as real questions often match no topic ("are your mangoes
    #: organic?") and a moderator rejects chit-chat in one key
    question_needs_topic: StrictBool = False
    block_authors: list[Handle] = Field(default_factory=list)
    #: no second draft for the same author within this time
    author_cooldown: Duration = 6 * 3600.0

    @model_validator(mode="after")
    def _known_values(self) -> ReplyPolicyConfig:
        bad = sorted(set(self.reply_to) - {"complaint", "negative", "question"})
        if bad:
            raise ValueError(f"reply_to: unknown {bad}; use 'complaint', 'question' and/or "
                             "'negative'")
        bad = sorted(set(self.platforms) - {"twitter", "reddit"})
        if bad:
            raise ValueError(f"platforms: unknown {bad}; use 'twitter' and/or 'reddit'")
        return self


class VoiceConfig(_Strict):
    """`[watch.voice]`: how drafted replies speak (mapped to socialbot.domain.BrandVoice)."""

    #: the name replies speak for; the watch's `brand` when empty
    name: str = ""
    tone: str = "friendly, concise and helpful"
    sign_off: str = ""
    facts: list[str] = Field(default_factory=list)
    allowed_links: list[str] = Field(default_factory=list)
    may_promise_refunds: StrictBool = False
    may_promise_compensation: StrictBool = False
    may_promise_discounts: StrictBool = False


class SavedReplyConfig(_Strict):
    """`[[watch.saved_reply]]`: a reply the brand wrote, proposed again for matching posts."""

    #: what moderators call it ("late delivery"); unique within the watch
    name: str = Field(min_length=1, max_length=100)
    #: one of the watch's topics, or "other"
    topic: str
    intent: Literal["complaint", "question", "praise"]
    #: the reply, with {handle}, {first_name} or {brand} filled from the post
    text: str = Field(min_length=1)
    #: a post must contain one of these words to get the reply as is (others get it in
    #: the generator's prompt); empty = every post on the topic with the intent
    keywords: list[str] = Field(default_factory=list)

    @field_validator("text")
    @classmethod
    def _slots(cls, value: str) -> str:
        errors = slot_errors(value)
        if errors:
            raise ValueError("; ".join(errors))
        return value


AlertKind = Literal["negative_spike", "volume_spike", "threshold"]


class AlertRuleConfig(_Strict):
    """`[[watch.alert]]`: one spike or threshold rule (documented in config.toml)."""

    kind: AlertKind
    #: shown in alerts; defaults to "<kind>:<topic or all>"
    name: str = Field(default="", pattern=r"^[A-Za-z0-9_.:-]*$")
    #: one of the watch's topics (or "other"); empty = every post of the watch
    topic: str = ""
    #: the span whose count is compared with its baseline, a multiple of [trends] bucket
    window: Duration = 3600.0
    #: a window is anomalous when a count this high has at most this tail probability
    sensitivity: float = Field(default=3e-4, gt=0, lt=1)
    #: negative_spike: the negative share must also rise this improbably (beta-binomial)
    share_sensitivity: float = Field(default=0.5, gt=0, le=1)
    #: fewer posts than this in the window never alert
    min_posts: int = Field(default=6, ge=1)
    #: an open alert closes only after this long without an anomalous window
    cooldown: Duration = 3 * 3600.0
    #: baseline: the same hours on up to this many previous days ...
    baseline_days: int = Field(default=7, ge=1, le=60)
    #: ... scaled by today's level: this span before the window vs the same span on those days
    recent: Duration = 6 * 3600.0
    #: no alert until the watch has this much history (the daily rhythm must be known)
    min_history: Duration = 86400.0
    #: threshold: alert when the negative share in the window is above this
    above: float | None = Field(default=None, gt=0, lt=1)

    @property
    def label(self) -> str:
        return self.name or f"{self.kind}:{self.topic or 'all'}"

    @model_validator(mode="after")
    def _kind_options(self) -> AlertRuleConfig:
        if self.kind == "threshold" and self.above is None:
            raise ValueError("a threshold rule needs `above` (a negative share, e.g. 0.6)")
        if self.kind != "threshold" and self.above is not None:
            raise ValueError('`above` only applies to kind = "threshold"')
        return self


class WatchConfig(_Strict):
    """A brand (or product) being watched, and the topics it cares about."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    brand: str = ""
    #: this watch's own classifier folder (a retrain on its labels installs one);
    #: "" = `[classifier] model`. Only the model differs: the other [classifier] keys hold
    classifier: str = ""
    topic: list[TopicConfig] = Field(default_factory=list)
    alert: list[AlertRuleConfig] = Field(default_factory=list)
    reply: ReplyPolicyConfig = ReplyPolicyConfig()
    voice: VoiceConfig = VoiceConfig()
    saved_reply: list[SavedReplyConfig] = Field(default_factory=list)

    @property
    def topics(self) -> list[Topic]:
        return [t.to_domain() for t in self.topic]

    @model_validator(mode="after")
    def _alert_rules(self) -> WatchConfig:
        known = {t.name for t in self.topic} | {"other"}
        labels = [r.label for r in self.alert]
        for i, rule in enumerate(self.alert):
            if rule.topic and rule.topic not in known:
                raise ValueError(f"alert[{i}].topic: no topic named {rule.topic!r} in this watch")
            if labels.index(rule.label) != i:
                raise ValueError(f"alert[{i}]: two rules are called {rule.label!r}; set `name`")
        return self

    @model_validator(mode="after")
    def _saved_replies(self) -> WatchConfig:
        known = {t.name for t in self.topic} | {"other"}
        names = [r.name for r in self.saved_reply]
        for i, saved in enumerate(self.saved_reply):
            if saved.topic not in known:
                raise ValueError(f"saved_reply[{i}].topic: no topic named {saved.topic!r} "
                                 "in this watch")
            if names.index(saved.name) != i:
                raise ValueError(f"saved_reply[{i}]: two saved replies are called {saved.name!r}")
        return self

    @model_validator(mode="after")
    def _unique_topics(self) -> WatchConfig:
        names = [t.name for t in self.topic]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"topic names must be unique, repeated: {', '.join(dupes)}")
        if "other" in names:
            raise ValueError("'other' is reserved for posts that match no topic")
        return self


_BUDGET = re.compile(r"^\s*(\$)?\s*(\d+(?:\.\d+)?)\s*(posts|USD)?\s*$", re.IGNORECASE)


class ReadBudget(BaseModel):
    """`monthly_read_budget`: a number of posts (`100000`) or money (`"$50"`, `"50 USD"`)."""

    model_config = ConfigDict(frozen=True)

    amount: float
    money: bool

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        match = _BUDGET.match(value) if isinstance(value, str) else None
        if not match:
            raise ValueError(f'expected posts (100000) or money ("$50"), got {value!r}')
        money = bool(match.group(1)) or (match.group(3) or "").upper() == "USD"
        if float(match.group(2)) <= 0:
            raise ValueError("a read budget must be more than 0")
        return {"amount": float(match.group(2)), "money": money}

    def posts(self, post_read: float) -> int:
        """The budget in posts; money is divided by the price of one post read."""
        if not self.money:
            return int(self.amount)
        # Decimal, because 50 / 0.005 in floats is 9999.999...
        return int(Decimal(str(self.amount)) / Decimal(str(post_read)))

    def __str__(self) -> str:
        return f"${self.amount:g}" if self.money else f"{self.amount:g} posts"


class UnitPrices(_Strict):
    """What one billable call costs in USD (X pay-per-use by default)."""

    post_read: float = Field(default=0.005, ge=0)
    post_created: float = Field(default=0.015, ge=0)
    post_created_with_url: float = Field(default=0.20, ge=0)


class PricingConfig(_Strict):
    """`[pricing.twitter]`: unit prices for the cost shown in `status`; Reddit's API is free."""

    twitter: UnitPrices = UnitPrices()

    def prices_for(self, kind: str) -> UnitPrices | None:
        """The unit prices of a source kind, or None when its reads and writes are free."""
        return self.twitter if kind == "twitter" else None


class SourceConfig(BaseModel):
    """One `[[source]]`: a connector `kind` plus options that connector declares."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.:-]+$")
    kind: str
    watch: str | None = None
    enabled: StrictBool = True
    interval: Duration | None = None
    #: posts (or "$50") this source may read per UTC month; polling slows, then stops
    monthly_read_budget: ReadBudget | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The connector-specific keys, checked by the connector itself at load."""
        return dict(self.model_extra or {})


class IngestConfig(_Strict):
    """`[ingest]`: which post dates are believable; posts outside are quarantined."""

    #: posts created before this day (UTC) are quarantined; default: Twitter's first post
    earliest_post: Day = date(2006, 3, 21)
    #: ... and so are posts dated more than this far ahead of the wall clock
    max_future: Duration = 86400.0

    # Counting buckets from year 1, or up to a far future, is what this range prevents.
    @field_validator("earliest_post")
    @classmethod
    def _after_epoch(cls, value: date) -> date:
        if value < date(1970, 1, 1):
            raise ValueError(f"must be 1970-01-01 or later, got {value}")
        return value

    @field_validator("max_future")
    @classmethod
    def _near_future(cls, value: float) -> float:
        if value > 30 * 86400:
            raise ValueError("at most 30d: a post dated further ahead has a broken clock")
        return value

    def date_range(self, now: datetime) -> tuple[datetime, datetime]:
        """The oldest and newest `created_at` accepted when the wall clock reads `now`."""
        earliest = datetime.combine(self.earliest_post, time(), tzinfo=UTC)
        return earliest, now + timedelta(seconds=self.max_future)


class TrendsConfig(_Strict):
    """`[trends]`: the base bucket that counts are kept in (coarser ones are rolled up)."""

    bucket: Duration = 900.0

    @model_validator(mode="after")
    def _divides_a_day(self) -> TrendsConfig:
        if self.bucket < 60 or 86400 % int(self.bucket) or self.bucket != int(self.bucket):
            raise ValueError("bucket: must be whole minutes that divide a day (e.g. 15m, 1h)")
        return self


class AlertsConfig(_Strict):
    """`[alerts]`: when buckets are judged, and how deliveries are retried."""

    #: a bucket is judged this long after it closes, so late posts are counted
    settle: Duration = 120.0
    #: ... and once every post in it is classified and counted, waiting at most this long
    max_wait: Duration = 3600.0
    #: record alerts but deliver none: nothing is queued and the deliver stage does not
    #: run (`socialbot replay --dry-run-alerts` sets it)
    dry_run: StrictBool = False
    #: first retry delay; doubles per failed attempt up to `max_backoff`
    backoff: Duration = 30.0
    max_backoff: Duration = 900.0
    #: a delivery still failing this long after it was queued is given up (logged)
    expire_after: Duration = 86400.0
    #: how long a worker may hold a delivery it claimed before another may retry it
    lease: Duration = 120.0


class HealthConfig(_Strict):
    """`[health]`: when a source counts as failing or silent (socialbot.health)."""

    #: this many failed polls in a row raise `source_failing` and open the circuit:
    #: from then on the source is only probed every `probe_interval`
    failing_after: int = Field(default=3, ge=1, le=100)
    probe_interval: Duration = 1800.0
    #: `source_silent` when no new post arrived for so long that, at the source's
    #: learned rate for those hours of the day, that silence has at most this probability
    silent_sensitivity: float = Field(default=1e-3, gt=0, lt=1)
    #: ... and never before this long without a new post
    min_silence: Duration = 3600.0
    #: the arrival rate per hour of day is learned from this many days of posts
    learn_days: int = Field(default=14, ge=1, le=90)
    #: no silence alert until a source has this much history
    min_history: Duration = 2 * 86400.0


class PrivacyConfig(_Strict):
    """`[privacy]`: how long posts are kept, and the check for posts gone from X and Reddit."""

    #: posts older than this are deleted with their predictions and drafts (the trend
    #: counts stay); unset = kept for ever
    retention: Duration | None = None
    #: how often every stored X and Reddit post is looked up, to delete those no longer
    #: available (deleted, protected, removed) as the platforms' terms require; X bills them
    compliance_interval: Duration = 86400.0
    #: false: no compliance check (only when you store no posts read from X or Reddit)
    compliance_check: StrictBool = True

    @field_validator("retention")
    @classmethod
    def _whole_days(cls, value: float | None) -> float | None:
        if value is not None and value < 86400:
            raise ValueError("at least 1d: the alerts and the silence watchdog learn from "
                             "recent posts")
        return value

    @field_validator("compliance_interval")
    @classmethod
    def _not_hot(cls, value: float) -> float:
        if value < 3600:
            raise ValueError("at least 1h: every check reads (and pays for) every stored X post")
        return value


_ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"


class _ChannelBase(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.:-]+$")
    #: only alerts of these watches; empty = all
    watches: list[str] = Field(default_factory=list)


class ConsoleChannelConfig(_ChannelBase):
    """Alerts printed to the daemon's log (stderr)."""

    kind: Literal["console"]


class WebhookChannelConfig(_ChannelBase):
    """An HTTP POST of JSON: `format = "slack"` (incoming webhook) or "json"."""

    kind: Literal["webhook"]
    format: Literal["slack", "json"] = "json"
    #: the environment variable holding the URL (webhook URLs carry tokens)
    url_env: str = Field(pattern=_ENV_NAME)
    timeout: Duration = 10.0


class EmailChannelConfig(_ChannelBase):
    """Plain-text + HTML mail over SMTP."""

    kind: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    #: the environment variable holding the SMTP password
    password_env: str = Field(default="", pattern=r"^([A-Z_][A-Z0-9_]*)?$")
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[str] = Field(min_length=1)
    timeout: Duration = 20.0


ChannelConfig = Annotated[
    ConsoleChannelConfig | WebhookChannelConfig | EmailChannelConfig, Field(discriminator="kind")
]


class Config(_Strict):
    """The whole validated configuration."""

    path: Path | None = None
    database: DatabaseConfig = DatabaseConfig()
    daemon: DaemonConfig = DaemonConfig()
    posting: PostingConfig = PostingConfig()
    moderation: ModerationConfig = ModerationConfig()
    drafting: DraftingConfig = DraftingConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    watch: list[WatchConfig] = Field(default_factory=list)
    source: list[SourceConfig] = Field(default_factory=list)
    ingest: IngestConfig = IngestConfig()
    trends: TrendsConfig = TrendsConfig()
    alerts: AlertsConfig = AlertsConfig()
    health: HealthConfig = HealthConfig()
    channel: list[ChannelConfig] = Field(default_factory=list)
    pricing: PricingConfig = PricingConfig()
    privacy: PrivacyConfig = PrivacyConfig()

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve_path(self, value: str | Path) -> Path:
        """A path from config, taken relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def classifier_folder(self, watch: str | None = None) -> Path | None:
        """The classifier folder `watch` uses: its own `classifier`, else `[classifier]
        model`; None for the shipped model. An unknown or absent watch gets the global one."""
        own = next((w.classifier for w in self.watch if w.name == watch), "")
        model = own or self.classifier.model
        return self.resolve_path(model) if model else None

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
            prices = self.pricing.prices_for(s.kind)
            if s.monthly_read_budget and s.monthly_read_budget.money and not (
                    prices and prices.post_read):
                raise ValueError(f"source[{i}].monthly_read_budget: reads of a {s.kind!r} "
                                 "source cost nothing; give the budget in posts")
        return self

    @model_validator(mode="after")
    def _monitoring_checks(self) -> Config:
        seen: set[str] = set()
        watches = {w.name for w in self.watch}
        for i, ch in enumerate(self.channel):
            if ch.name in seen:
                raise ValueError(f"channel[{i}].name: {ch.name!r} is used twice")
            seen.add(ch.name)
            unknown = sorted(set(ch.watches) - watches)
            if unknown:
                raise ValueError(f"channel[{i}].watches: no watch named {unknown[0]!r}")
        for w, watch in enumerate(self.watch):
            for i, rule in enumerate(watch.alert):
                if rule.window % self.trends.bucket:
                    raise ValueError(
                        f"watch[{w}].alert[{i}].window: must be a multiple of [trends] bucket"
                    )
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
