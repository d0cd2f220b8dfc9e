"""`app_mention`: someone wrote @articlebot, in a channel or a thread."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.context import SlackContext
from bot.slack.jobs import JobRunner
from bot.slack.listeners.accept import accept


def register(app: AsyncApp, ctx: SlackContext, runner: JobRunner) -> None:
    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], ack: AsyncAck) -> None:
        await accept(body, ack, ctx, runner)
