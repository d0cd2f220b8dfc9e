"""The shared body of the message listeners: record the job, then ack, then start it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.slack.context import SlackContext
from bot.slack.events import incoming_from
from bot.slack.intake import record
from bot.slack.jobs import JobRunner


async def accept(body: dict[str, Any], ack: AsyncAck, ctx: SlackContext, runner: JobRunner) -> None:
    """Record before acknowledging: once Slack hears "received", the request is in the store.

    If recording fails (database down), no ack is sent and Slack delivers the event again.
    """
    incoming = incoming_from(body, bot_user_id=ctx.bot_user_id, bot_id=ctx.bot_id)
    job = await record(ctx, incoming) if incoming is not None else None
    await ack()
    if job is not None:
        runner.submit(job)
