"""`message`: thread follow-ups and DMs (no mention needed); everything else is ignored.

Edits, deletions, joins and bot messages arrive here too, as subtypes; `incoming_from`
filters them out and they are acknowledged without a reply.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.context import SlackContext
from bot.slack.jobs import JobRunner
from bot.slack.listeners.accept import accept


def register(app: AsyncApp, ctx: SlackContext, runner: JobRunner) -> None:
    @app.event("message")
    async def on_message(body: dict[str, Any], ack: AsyncAck) -> None:
        await accept(body, ack, ctx, runner)
