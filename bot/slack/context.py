"""What listeners and flows share: the pipeline runtime, the Slack client, who the bot is."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.runtime import Runtime
from bot.slack.oauth import Workspace, WorkspaceClients
from bot.store.store import Store


@dataclass
class SlackContext:
    runtime: Runtime
    client: AsyncWebClient
    bot_user_id: str
    bot_id: str | None
    team_id: str | None
    # Set in OAuth mode: each workspace's client comes from its installation.
    workspaces: WorkspaceClients | None = None

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def store(self) -> Store:
        return self.runtime.store

    async def for_team(self, team: str | None) -> SlackContext | None:
        """This context as seen from one workspace (its client and bot user), for a job; None
        when the workspace has no installation. With one SLACK_BOT_TOKEN, the context itself."""
        if self.workspaces is None:
            return self
        return self._scoped(await self.workspaces.find(team))

    async def for_event(self, team: str | None, enterprise: str | None) -> SlackContext | None:
        """As `for_team`, for an event from `team` in Grid org `enterprise` (None: standalone),
        which also finds an org-wide installation and remembers the workspace's org."""
        if self.workspaces is None:
            return self
        return self._scoped(await self.workspaces.find_for_event(team, enterprise))

    def _scoped(self, found: Workspace | None) -> SlackContext | None:
        if found is None:
            return None
        return dataclasses.replace(
            self,
            client=found.client,
            bot_user_id=found.bot_user_id,
            bot_id=found.bot_id,
            team_id=found.team,
        )
