"""Settings grouped by the component that reads them: each component gets only its group.

The flat `bot.config.Settings` stays the source of truth: its fields are what the environment
and `.env` set (names unchanged for users), with their defaults and bounds. A group is a frozen
copy of the flat fields it names, built once per `Settings` (`settings.llm`, `settings.fetch`,
...). A group field is the flat field's name without the group's `flat_prefix`
(`LLMSettings.model` is `llm_model`), so adding a setting to a group is one line here, next to
the flat field in `Settings`; defaults live only there.
"""

from __future__ import annotations

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, SecretStr

StructuredMode = Literal["auto", "json_schema", "json_object", "json_object_plain", "none"]
SystemRole = Literal["auto", "system", "user"]
StreamMode = Literal["stream", "update"]


class SettingsGroup(BaseModel):
    """A frozen view of some flat settings; subclasses list the fields they need."""

    model_config = ConfigDict(frozen=True)

    # Prefix of the flat field names this group's fields stand for ("" = the same name).
    flat_prefix: ClassVar[str] = ""

    @classmethod
    def flat_name(cls, field: str) -> str:
        return cls.flat_prefix + field

    @classmethod
    def from_flat(cls, flat: Any) -> Self:
        """Copy this group's fields from the flat settings (already validated there)."""
        return cls.model_validate({f: getattr(flat, cls.flat_name(f)) for f in cls.model_fields})


class LLMSettings(SettingsGroup):
    """The language model server and how the client talks to it (`LLM_*`)."""

    flat_prefix: ClassVar[str] = "llm_"

    base_url: str | None
    api_key: SecretStr | None
    model: str
    context_window: int
    output_reserve: int
    timeout_seconds: float
    max_retries: int
    max_concurrency: int
    structured_mode: StructuredMode
    system_role: SystemRole
    temperature: float | None
    price_input_per_mtok: float
    price_cached_input_per_mtok: float
    price_output_per_mtok: float

    @property
    def configured(self) -> bool:
        """True when an LLM is configured; otherwise the offline engine is used."""
        return self.api_key is not None or self.base_url is not None


class FetchSettings(SettingsGroup):
    """Fetching article links: limits, time bounds, identity, allowed networks (`FETCH_*`)."""

    flat_prefix: ClassVar[str] = "fetch_"

    max_bytes: int
    connect_timeout: float
    read_timeout: float
    max_redirects: int
    user_agent: str
    allow_networks: tuple[str, ...]

    @cached_property
    def allowed_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """`allow_networks` parsed (the flat field has already checked each CIDR)."""
        return tuple(ipaddress.ip_network(c, strict=False) for c in self.allow_networks)


class AnalysisSettings(SettingsGroup):
    """What counts as an article, how large one may be, and how it is analysed."""

    summary_language: str
    qa_context_tokens: int
    article_max_words: int
    min_pasted_words: int


class StoreSettings(SettingsGroup):
    """Where the bot keeps its data."""

    data_dir: Path
    database_url: str | None
    data_retention_days: int

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL, or SQLite inside DATA_DIR when it is not set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'articlebot.db'}"


class SlackSettings(SettingsGroup):
    """Connecting to Slack and how requests from it are run (`SLACK_*`)."""

    flat_prefix: ClassVar[str] = "slack_"

    bot_token: SecretStr | None
    app_token: SecretStr | None
    signing_secret: SecretStr | None
    api_url: str
    stream_mode: StreamMode
    allowed_channels: tuple[str, ...]
    user_quota_per_hour: int
    job_max_age_seconds: int
    job_lease_seconds: float
    max_running_jobs: int
    max_running_jobs_per_user: int
    max_retries: int
    retry_base_seconds: float
    requeue_base_seconds: float
    feedback_buttons: Literal["native", "plain", "off"]
    # OAuth distribution (several workspaces); unset in single-workspace mode.
    client_id: str | None
    client_secret: SecretStr | None
    scopes: tuple[str, ...]
    redirect_uri: str | None
    oauth_state_seconds: int
