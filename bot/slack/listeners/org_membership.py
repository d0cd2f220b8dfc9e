"""Remember each workspace's Grid org from its requests (OAuth mode), before any listener runs.

Runs after bolt's authorize, so only requests an installation serves are noted. Jobs carry only
their team; this is how one of an org-wide installation's workspaces finds it later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack.context import SlackContext
from bot.slack.grid import scope_of

# The installation's own end: nothing to remember (and the team may be the org's id).
LEAVING = ("app_uninstalled", "tokens_revoked")


def register(app: AsyncApp, ctx: SlackContext) -> None:
    workspaces = ctx.workspaces
    if workspaces is None:
        return

    @app.middleware
    async def remember_org(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
        event = body.get("event")
        leaving = isinstance(event, dict) and event.get("type") in LEAVING
        scope = scope_of(body)
        org_level = scope.team == scope.enterprise  # an org's own event names no workspace
        if scope.team is not None and not leaving and not org_level:
            await workspaces.remember_org(scope.team, scope.enterprise)
        await next()
