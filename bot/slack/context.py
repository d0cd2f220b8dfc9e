"""What listeners and flows share: the pipeline runtime, the Slack client, who the bot is."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.runtime import Runtime
from bot.store.store import Store


@dataclass
class SlackContext:
    runtime: Runtime
    client: AsyncWebClient
    bot_user_id: str
    bot_id: str | None
    team_id: str | None

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def store(self) -> Store:
        return self.runtime.store
