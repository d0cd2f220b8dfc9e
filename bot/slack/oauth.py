"""OAuth distribution: many workspaces install the app; each job uses its workspace's token.

Installations and OAuth states are kept by slack_sdk's async SQLAlchemy stores on the store's
own engine, so they live in `DATABASE_URL` next to everything else (one PostgreSQL for all
replicas; no file-based store). They are slack_sdk's rather than a store part of ours: bolt
reads installations through that interface (authorize, token rotation, the built-in
uninstall handling), and its table layout is the one the rest of the Slack ecosystem knows.

Bolt's OAuth flow runs `/slack/install` and `/slack/oauth_redirect` and answers bad callbacks
itself: a denied install (`error=access_denied`, 200 with a failure page), a missing or foreign
state cookie (400), a reused or expired state (401: the state store deletes a state when it is
consumed and refuses it after SLACK_OAUTH_STATE_SECONDS), a bad code (401). Token rotation:
the installation store refreshes an expiring token when it is read, one replica at a time
(`bot.slack.installations`), for bolt's authorize (events) and `WorkspaceClients` (jobs) alike.

Enterprise Grid: an org-wide install is stored under its org with no team; events from any
workspace of the org are authorized by it (bolt), and jobs find it through the workspace's org
(`WorkspaceClients`). Content stays keyed by the workspace (team) the message lives in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.slack.installations import RotatingInstallationStore
from bot.slack.web_api import SlackConfigError, oauth_client, web_client
from bot.store.engine import writer
from bot.store.migrations import create_under_lock
from bot.store.store import Store

log = logging.getLogger(__name__)

# Refresh a rotating token this long before it expires (bolt's default).
ROTATE_MINUTES_BEFORE = 120


def oauth_mode(settings: Settings) -> bool:
    """True for the install flow, False for one workspace with SLACK_BOT_TOKEN; raises when
    the settings are half one and half the other (bolt would otherwise silently fall back to
    its file-based development stores and ignore SLACK_BOT_TOKEN)."""
    client_id, secret = settings.slack_client_id, settings.slack_client_secret
    if (client_id is None) != (secret is None):
        raise SlackConfigError(
            "Set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for the install flow, or neither."
        )
    if client_id is None:
        return False
    if settings.slack_bot_token is not None:
        raise SlackConfigError(
            "SLACK_BOT_TOKEN (one workspace) and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET (installs "
            "from many workspaces) exclude each other: unset one."
        )
    return True


@dataclass(frozen=True)
class Workspace:
    """What a job needs to act in one workspace."""

    team: str
    client: AsyncWebClient
    bot_user_id: str
    bot_id: str | None
    enterprise: str | None = None


class WorkspaceClients:
    """Per-workspace Web API clients from the installation store, tokens kept fresh.

    Installations are looked up as bolt's authorize does, plus the fallback bolt leaves to the
    caller: on Enterprise Grid, the workspace's own installation (org + team), else the org-wide
    one (org, no team) that serves every workspace of the org. Events say which org a workspace
    is in; jobs carry only their team, so the org is remembered from the events (`GridOrgs`).
    """

    def __init__(self, settings: Settings, installations: RotatingInstallationStore, store: Store):
        self.settings = settings
        self.installations = installations
        self.store = store

    async def find(self, team: str | None) -> Workspace | None:
        """The workspace's installation (for a job), or None when it has none."""
        if not team:
            return None
        return await self._find(team, await self.store.enterprise_of(team))

    async def find_for_event(self, team: str | None, enterprise: str | None) -> Workspace | None:
        """The installation an event from `team` (in Grid org `enterprise`) is served by."""
        if not team:
            return None
        return await self._find(team, enterprise)

    async def remember_org(self, team: str, enterprise: str | None) -> None:
        """Keep the workspace's org as its requests say, for the jobs they become (a read per
        request; a write only when it changed)."""
        if await self.store.enterprise_of(team) != enterprise:
            await self.store.note_enterprise(team, enterprise)

    async def _find(self, team: str, enterprise: str | None) -> Workspace | None:
        try:
            bot = await self.installations.async_find_bot(enterprise_id=enterprise, team_id=team)
            if bot is None and enterprise is not None:
                bot = await self.installations.async_find_bot(
                    enterprise_id=enterprise, team_id=None, is_enterprise_install=True
                )
        except SlackTokenRotationError as exc:
            # As bolt's authorize: a refresh Slack refuses leaves no usable token (the workspace
            # must reinstall); failing here would only make the job sweeper retry every second.
            error = exc.api_error.response.get("error", "unknown error")
            log.warning("workspace %s: Slack refused the token refresh (%s)", team, error)
            return None
        if bot is None or not bot.bot_token:
            return None
        client = web_client(self.settings, token=bot.bot_token)
        return Workspace(team, client, bot.bot_user_id or "", bot.bot_id, enterprise)

    async def forget(self, team: str, enterprise: str | None) -> None:
        """Delete the workspace's own installation (uninstalled, or its tokens revoked)."""
        await self.installations.async_delete_all(enterprise_id=enterprise, team_id=team)

    async def has_own_installation(self, team: str, enterprise: str | None) -> bool:
        """Whether the workspace installed the app itself (not only through its org)."""
        bot = await self.installations.async_find_bot(enterprise_id=enterprise, team_id=team)
        return bot is not None

    async def forget_org(self, enterprise: str) -> list[str]:
        """Delete the org-wide installation; returns the org's workspaces the bot knew that
        are now without any installation (those that installed the app themselves stay)."""
        await self.installations.async_delete_all(enterprise_id=enterprise, team_id=None)
        teams = await self.store.teams_of_enterprise(enterprise)
        return [team for team in teams if await self._find(team, enterprise) is None]


@dataclass(frozen=True)
class Distribution:
    flow: AsyncOAuthFlow
    installations: RotatingInstallationStore
    workspaces: WorkspaceClients


async def open_distribution(settings: Settings, store: Store) -> Distribution:
    """The OAuth flow and its stores on the store's engine (tables created if missing).

    The stores get the engine's write view: they read, then write, in one transaction (the
    state store consumes a state with SELECT then DELETE), which on SQLite must take the write
    lock up front or fail with "database is locked" when another replica is reading. Their
    tables are created under the migration lock: replicas starting together on an empty
    PostgreSQL would otherwise race to create them.
    """
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    engine = writer(store.engine)
    secret = settings.slack_client_secret.get_secret_value()
    rotator = AsyncTokenRotator(
        client_id=settings.slack_client_id, client_secret=secret, client=oauth_client(settings)
    )
    installations = RotatingInstallationStore(
        client_id=settings.slack_client_id,
        engine=engine,
        rotator=rotator,
        minutes_before_expiration=ROTATE_MINUTES_BEFORE,
    )
    states = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=settings.slack_oauth_state_seconds, engine=engine
    )
    async with engine.begin() as conn:
        await conn.run_sync(create_under_lock, installations.metadata, states.metadata)
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=secret,
        scopes=settings.slack_scopes,
        redirect_uri=settings.slack_redirect_uri,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=settings.slack_oauth_state_seconds,
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE,
    )
    flow = AsyncOAuthFlow(
        client=AsyncWebClient(base_url=settings.slack_api_url), settings=oauth_settings
    )
    return Distribution(flow, installations, WorkspaceClients(settings, installations, store))
