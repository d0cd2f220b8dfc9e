"""`message_action` "Summarise this article": recorded before the ack, run after it; a refusal
goes to the user alone through the shortcut's response_url."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.context import SlackContext
from bot.slack.ephemeral import respond_ephemeral
from bot.slack.jobs import JobRunner
from bot.slack.render import error_message
from bot.slack.shortcut_intake import take_shortcut

CALLBACK_ID = "summarise_article"
_NOTES: set[asyncio.Task[None]] = set()


def register(app: AsyncApp, ctx: SlackContext, runner: JobRunner) -> None:
    @app.shortcut(CALLBACK_ID)
    async def on_shortcut(body: dict[str, Any], ack: AsyncAck) -> None:
        taken = await take_shortcut(ctx, body)
        await ack()
        if taken.job is not None:
            runner.submit(taken.job)
        elif taken.text and isinstance(body.get("response_url"), str):
            note = respond_ephemeral(body["response_url"], error_message(taken.text))
            task = asyncio.create_task(note)
            _NOTES.add(task)
            task.add_done_callback(_NOTES.discard)
