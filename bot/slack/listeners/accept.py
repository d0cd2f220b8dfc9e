"""The shared body of the message listeners: record the job, then ack, then start it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.slack.context import SlackContext
from bot.slack.events import incoming_from
from bot.slack.grid import scope_of
from bot.slack.intake import record
from bot.slack.jobs import JobRunner

log = logging.getLogger(__name__)


async def accept(body: dict[str, Any], ack: AsyncAck, ctx: SlackContext, runner: JobRunner) -> None:
    """Record before acknowledging: once Slack hears "received", the request is in the store.

    If recording fails (database down), no ack is sent and Slack delivers the event again.
    """
    scope = scope_of(body)
    team = scope.team
    team_ctx = await ctx.for_event(team, scope.enterprise)
    if team_ctx is None:  # bolt's authorize drops these first; this is the backstop
        log.warning("event for workspace %s, which has no installation: dropped", team)
        await ack()
        return
    incoming = incoming_from(body, bot_user_id=team_ctx.bot_user_id, bot_id=team_ctx.bot_id)
    job = await record(team_ctx, incoming) if incoming is not None else None
    await ack()
    if job is not None:
        runner.submit(job)
