"""Settings from the environment and `.env`.

Every setting is documented with its default in `.env.example`. Invalid values fail at start
with one line naming the variable (see `load_settings`), because a half-configured bot that
fails on the first user request is worse than one that refuses to start.

The fields are flat because the environment is; components get their group instead
(`settings.llm`, `settings.fetch`, `settings.analysis`, `settings.store`, `settings.slack`, see
`bot.settings_groups`), so each depends only on the settings it reads.
"""

from __future__ import annotations

import ipaddress
import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.settings_groups import (
    AnalysisSettings,
    FetchSettings,
    LLMSettings,
    SlackSettings,
    StoreSettings,
    StreamMode,
    StructuredMode,
    SystemRole,
)


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "articlebot"


CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """All runtime configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,  # `KEY=` in .env means "use the default"
        frozen=True,  # the groups below are built once; a changed field would leave them stale
    )

    # --- LLM (any OpenAI-compatible Chat Completions server) ---
    llm_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("LLM_BASE_URL", "OPENAI_BASE_URL")
    )
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LLM_API_KEY", "OPENAI_API_KEY")
    )
    llm_model: str = "gpt-4o-mini"
    llm_context_window: int = Field(default=128_000, ge=2_048)
    llm_output_reserve: int = Field(default=4_000, ge=256)
    llm_timeout_seconds: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0, le=10)
    llm_max_concurrency: int = Field(default=4, ge=1, le=256)
    # Where the server enforces the JSON schema; auto learns it per server (see bot/llm/protocol).
    llm_structured_mode: StructuredMode = "auto"
    # Where the rules and schema travel: a system message, or the top of the first user message
    # (for chat templates without a system role); auto switches when the server refuses one.
    llm_system_role: SystemRole = "auto"
    llm_temperature: float | None = Field(default=None, ge=0, le=2)
    # Prices in USD per million tokens, for cost estimates in `articlebot eval`.
    llm_price_input_per_mtok: float = Field(default=0.0, ge=0)
    llm_price_cached_input_per_mtok: float = Field(default=0.0, ge=0)
    llm_price_output_per_mtok: float = Field(default=0.0, ge=0)

    # --- Analysis ---
    # Language of summaries and actor descriptions (answers follow the question's language).
    summary_language: str = "English"
    # Tokens of article text sent with a question when the article is longer than this.
    qa_context_tokens: int = Field(default=1_500, ge=200)
    # Largest article accepted at all (words); bigger ones get a clear refusal.
    article_max_words: int = Field(default=200_000, ge=100)
    # Shortest pasted text treated as an article rather than as a question or a remark.
    min_pasted_words: int = Field(default=60, ge=1)

    # --- Fetching ---
    fetch_max_bytes: int = Field(default=5_000_000, ge=10_000)
    fetch_connect_timeout: float = Field(default=5.0, gt=0)
    fetch_read_timeout: float = Field(default=15.0, gt=0)
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    fetch_user_agent: str = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Safari/537.36 articlebot/0.1"
    )
    # Networks that are normally refused but explicitly allowed (CIDRs, comma separated).
    # Off by default; tests set it to 127.0.0.1/32 to fetch from a local server.
    fetch_allow_networks: CommaList = Field(default_factory=list)

    # --- Storage ---
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    # Stored content (threads, turns, pasted texts, finished jobs, cached articles and results)
    # is deleted this many days after it was last written; 0 keeps it forever.
    data_retention_days: int = Field(default=30, ge=0)

    # --- Slack ---
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # OAuth distribution (HTTP mode): set both to serve /slack/install for many workspaces,
    # instead of SLACK_BOT_TOKEN. Installations and OAuth state live in DATABASE_URL.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_scopes: CommaList = Field(
        default_factory=lambda: [
            "app_mentions:read", "assistant:write", "channels:history", "channels:read",
            "chat:write", "commands", "files:read", "groups:history", "groups:read",
            "im:history", "mpim:history", "reactions:write", "users:read",
        ]
    )  # fmt: skip
    slack_redirect_uri: str | None = None
    slack_oauth_state_seconds: int = Field(default=600, ge=1)
    slack_stream_mode: StreamMode = "stream"
    slack_allowed_channels: CommaList = Field(default_factory=list)
    slack_user_quota_per_hour: int = Field(default=30, ge=0)
    slack_job_max_age_seconds: int = Field(default=900, ge=10)
    # A running job's lease: the fallback when a crashed worker's death cannot be seen at once
    # through its liveness lock (bot/store/presence.py).
    slack_job_lease_seconds: float = Field(default=30.0, ge=1.0)
    # Jobs one user (across replicas), and one process, run at a time; the others wait in
    # the queue, and free slots go to users in turn, fewest running first (a flood waits
    # behind itself).
    slack_max_running_jobs_per_user: int = Field(default=8, ge=1, le=10_000)
    slack_max_running_jobs: int = Field(default=256, ge=1, le=10_000)
    # Retries of one Web API call on a transient fault (429, 5xx, connection, ok:false
    # internal_error...), waiting Retry-After or an exponential backoff from this base.
    slack_max_retries: int = Field(default=3, ge=0, le=10)
    slack_retry_base_seconds: float = Field(default=1.0, gt=0, le=60)
    # When a call's retries run out, the job goes back to the queue after this delay
    # (doubling each time) until SLACK_JOB_MAX_AGE_SECONDS, then the user gets an apology.
    slack_requeue_base_seconds: float = Field(default=10.0, gt=0, le=600)
    # 👍/👎 under summaries and answers: Slack's feedback buttons (`native`), plain buttons
    # (`plain`, for workspaces or clients without them) or none (`off`).
    slack_feedback_buttons: Literal["native", "plain", "off"] = "native"

    # Port for Prometheus /metrics (and /healthz) of its own; in HTTP mode they are also
    # served on the events port. None: no extra port.
    metrics_port: int | None = Field(default=None, ge=0, le=65535)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator(
        "fetch_allow_networks", "slack_allowed_channels", "slack_scopes", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("fetch_allow_networks")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)  # raises ValueError naming the bad CIDR
        return value

    def secret_values(self) -> list[str]:
        """Configured secrets, for scrubbing logs."""
        secrets = (
            self.llm_api_key,
            self.slack_bot_token,
            self.slack_app_token,
            self.slack_signing_secret,
            self.slack_client_secret,
        )
        return [s.get_secret_value() for s in secrets if s is not None]

    # --- Groups: what each component is given (fields listed in bot/settings_groups.py) ---

    @cached_property
    def llm(self) -> LLMSettings:
        return LLMSettings.from_flat(self)

    @cached_property
    def fetch(self) -> FetchSettings:
        return FetchSettings.from_flat(self)

    @cached_property
    def analysis(self) -> AnalysisSettings:
        return AnalysisSettings.from_flat(self)

    @cached_property
    def store(self) -> StoreSettings:
        return StoreSettings.from_flat(self)

    @cached_property
    def slack(self) -> SlackSettings:
        return SlackSettings.from_flat(self)

    @property
    def llm_configured(self) -> bool:
        """True when an LLM is configured; otherwise the offline engine is used."""
        return self.llm.configured

    @property
    def allowed_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return self.fetch.allowed_networks

    @property
    def resolved_database_url(self) -> str:
        return self.store.resolved_database_url


class SettingsError(Exception):
    """A setting has an invalid value; the message is one line naming the variable."""


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's multi-line report into one line per the first error."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "settings"
        raise SettingsError(f"invalid setting {name}: {err['msg']}") from None
