"""`/articlebot` and its "Share in channel" button: recorded before the ack, run after it.

The command's answer (help, usage, a refusal, "reading…") is the ack itself, ephemeral. A
share refused (clicked twice, not the requester's, article gone) is told through the click's
response_url.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.command_intake import take_command, take_share
from bot.slack.context import SlackContext
from bot.slack.ephemeral import respond_ephemeral
from bot.slack.jobs import JobRunner
from bot.slack.render import status_message
from bot.slack.render.command_reply import SHARE_ACTION

COMMAND = "/articlebot"
_NOTES: set[asyncio.Task[None]] = set()


def register(app: AsyncApp, ctx: SlackContext, runner: JobRunner) -> None:
    @app.command(COMMAND)
    async def on_command(body: dict[str, Any], ack: AsyncAck) -> None:
        taken = await take_command(ctx, body)
        if taken.text:
            await ack(text=taken.text, response_type="ephemeral")
        else:
            await ack()
        if taken.job is not None:
            runner.submit(taken.job)

    @app.action(SHARE_ACTION)
    async def on_share(body: dict[str, Any], ack: AsyncAck) -> None:
        actions = body.get("actions") or [{}]
        value = str(actions[0].get("value") or "")
        taken = await take_share(ctx, body, int(value)) if value.isdigit() else None
        await ack()
        if taken is None:
            return
        if taken.job is not None:
            runner.submit(taken.job)
        elif taken.text and body.get("response_url"):
            _tell(str(body["response_url"]), taken.text)


def _tell(url: str, text: str) -> None:
    """An ephemeral note through the click's response_url, after the ack."""
    task = asyncio.create_task(respond_ephemeral(url, status_message(text)))
    _NOTES.add(task)
    task.add_done_callback(_NOTES.discard)
