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
bolt's authorize refreshes an expiring token for events; `WorkspaceClients` does the same for
jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.slack.web_api import SlackConfigError, web_client
from bot.store.engine import writer

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


class WorkspaceClients:
    """Per-workspace Web API clients from the installation store, tokens kept fresh."""

    def __init__(self, settings: Settings, installations: AsyncSQLAlchemyInstallationStore):
        assert settings.slack_client_id is not None and settings.slack_client_secret is not None
        self.settings = settings
        self.installations = installations
        self._rotator = AsyncTokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            client=AsyncWebClient(base_url=settings.slack_api_url),
        )

    async def find(self, team: str | None) -> Workspace | None:
        """The workspace's installation, or None when it has none (never installed, or gone)."""
        if not team:
            return None
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            return None
        if bot.bot_refresh_token:
            fresh = await self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE
            )
            if fresh is not None:
                await self.installations.async_save_bot(fresh)
                bot = fresh
        assert bot.bot_token is not None
        client = web_client(self.settings, token=bot.bot_token)
        return Workspace(team, client, bot.bot_user_id or "", bot.bot_id)

    async def forget(self, team: str) -> None:
        """Delete the workspace's installation (uninstalled, or its tokens revoked)."""
        await self.installations.async_delete_all(enterprise_id=None, team_id=team)


@dataclass(frozen=True)
class Distribution:
    flow: AsyncOAuthFlow
    installations: AsyncSQLAlchemyInstallationStore
    workspaces: WorkspaceClients


async def open_distribution(settings: Settings, engine: AsyncEngine) -> Distribution:
    """The OAuth flow and its stores on `engine` (tables created if missing).

    The stores get the engine's write view: they read, then write, in one transaction (the
    state store consumes a state with SELECT then DELETE), which on SQLite must take the write
    lock up front or fail with "database is locked" when another replica is reading.
    """
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    engine = writer(engine)
    installations = AsyncSQLAlchemyInstallationStore(
        client_id=settings.slack_client_id, engine=engine
    )
    states = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=settings.slack_oauth_state_seconds, engine=engine
    )
    await installations.create_tables()  # type: ignore[no-untyped-call]
    await states.create_tables()  # type: ignore[no-untyped-call]
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
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
    return Distribution(flow, installations, WorkspaceClients(settings, installations))
