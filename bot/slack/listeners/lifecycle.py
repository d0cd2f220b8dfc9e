"""A workspace leaving, a channel going away: stop the work and delete what is no longer wanted.

`app_uninstalled` and `tokens_revoked` (for the bot's token) stop the workspace's running jobs
and delete its data (see `bot.store.erasure`); bolt lets both events through without an
authorization check, since the token is already dead. On Enterprise Grid, the installation
that left is the one `authorizations[0]` names: a workspace's own (org + team), or the org-wide
one (`is_enterprise_install`), whose leaving takes the data of every workspace of the org that
has no installation of its own left. `team_access_revoked`: an org admin took workspaces
away from the org-wide install; those without their own installation lose their data too. An
archived or deleted channel drops its pending jobs. Each runs before the ack: if the database
is down, Slack delivers it again.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.context import SlackContext
from bot.slack.grid import scope_of
from bot.slack.jobs import JobRunner

log = logging.getLogger(__name__)

CHANNEL_GONE_EVENTS = ("channel_archive", "channel_deleted", "group_archive", "group_deleted")


def _team(body: dict[str, Any]) -> str | None:
    team = body.get("team_id")
    return team if isinstance(team, str) and team else None


async def forget_installation(
    ctx: SlackContext, runner: JobRunner, body: dict[str, Any], why: str
) -> None:
    """The installation the event is about is gone: delete it, then the data it leaves behind."""
    scope = scope_of(body)
    if scope.org_install and scope.enterprise is not None:
        teams = [] if ctx.workspaces is None else await ctx.workspaces.forget_org(scope.enterprise)
        log.warning("org %s %s: %d workspace(s) left", scope.enterprise, why, len(teams))
        for team in teams:
            await _erase(ctx, runner, team, why)
        return
    if scope.team is None:
        return
    if ctx.workspaces is not None:  # its installation (tokens) goes first: nothing can act
        await ctx.workspaces.forget(scope.team, scope.enterprise)
    await _erase(ctx, runner, scope.team, why)


async def _erase(ctx: SlackContext, runner: JobRunner, team: str, why: str) -> None:
    stopped = await runner.stop_team(team)
    erased = await ctx.store.erase_team(team)
    log.warning(
        "workspace %s %s: %d running job(s) stopped, %d row(s) deleted %s, %d usage row(s) "
        "anonymised",
        team,
        why,
        stopped,
        erased.total,
        erased.deleted,
        erased.anonymised_usage,
    )


async def forget_revoked_teams(
    ctx: SlackContext, runner: JobRunner, enterprise: str | None, event: dict[str, Any]
) -> None:
    """Workspaces taken away from the org-wide install: erase those it alone served."""
    if ctx.workspaces is None:
        return
    for team in event.get("team_ids") or []:
        if not isinstance(team, str) or not team:
            continue
        if not await ctx.workspaces.has_own_installation(team, enterprise):
            await _erase(ctx, runner, team, "was removed from the org-wide install")


def _bot_tokens_revoked(event: dict[str, Any]) -> bool:
    tokens = event.get("tokens")
    return isinstance(tokens, dict) and bool(tokens.get("bot"))


def register(app: AsyncApp, ctx: SlackContext, runner: JobRunner) -> None:
    @app.event("app_uninstalled")
    async def on_uninstalled(body: dict[str, Any], ack: AsyncAck) -> None:
        await forget_installation(ctx, runner, body, "uninstalled the app")
        await ack()

    @app.event("tokens_revoked")
    async def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any], ack: AsyncAck) -> None:
        # Only the bot token matters: user tokens (if any) are not what the bot works with.
        if _bot_tokens_revoked(event):
            await forget_installation(ctx, runner, body, "revoked the bot token")
        await ack()

    @app.event("team_access_revoked")
    async def on_team_access_revoked(
        body: dict[str, Any], event: dict[str, Any], ack: AsyncAck
    ) -> None:
        await forget_revoked_teams(ctx, runner, scope_of(body).enterprise, event)
        await ack()

    for name in CHANNEL_GONE_EVENTS:

        @app.event(name)
        async def on_channel_gone(
            body: dict[str, Any], event: dict[str, Any], ack: AsyncAck
        ) -> None:
            team, channel = _team(body), event.get("channel")
            if team is not None and isinstance(channel, str):
                kind = str(event.get("type"))
                dropped = await ctx.store.drop_channel_jobs(team, channel, note=f"slack {kind}")
                if dropped:
                    log.info("%s %s: %d pending job(s) dropped", kind, channel, dropped)
            await ack()
