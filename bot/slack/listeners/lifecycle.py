"""A workspace leaving, a channel going away: stop the work and delete what is no longer wanted.

`app_uninstalled` and `tokens_revoked` (for the bot's token) stop the workspace's running jobs
and delete its data (see `bot.store.erasure`); bolt lets both events through without an
authorization check, since the token is already dead. An archived or deleted channel drops its
pending jobs. Each runs before the ack: if the database is down, Slack delivers it again.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.context import SlackContext
from bot.slack.jobs import JobRunner

log = logging.getLogger(__name__)

CHANNEL_GONE_EVENTS = ("channel_archive", "channel_deleted", "group_archive", "group_deleted")


def _team(body: dict[str, Any]) -> str | None:
    team = body.get("team_id")
    return team if isinstance(team, str) and team else None


async def forget_workspace(ctx: SlackContext, runner: JobRunner, team: str, why: str) -> None:
    stopped = await runner.stop_team(team)
    if ctx.workspaces is not None:  # its installation (tokens) goes first: nothing can act
        await ctx.workspaces.forget(team)
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


def _bot_tokens_revoked(event: dict[str, Any]) -> bool:
    tokens = event.get("tokens")
    return isinstance(tokens, dict) and bool(tokens.get("bot"))


def register(app: AsyncApp, ctx: SlackContext, runner: JobRunner) -> None:
    @app.event("app_uninstalled")
    async def on_uninstalled(body: dict[str, Any], ack: AsyncAck) -> None:
        team = _team(body)
        if team is not None:
            await forget_workspace(ctx, runner, team, "uninstalled the app")
        await ack()

    @app.event("tokens_revoked")
    async def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any], ack: AsyncAck) -> None:
        team = _team(body)
        # Only the bot token matters: user tokens (if any) are not what the bot works with.
        if team is not None and _bot_tokens_revoked(event):
            await forget_workspace(ctx, runner, team, "revoked the bot token")
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
