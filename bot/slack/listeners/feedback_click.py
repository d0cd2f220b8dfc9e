"""`block_actions` on the 👍/👎 under a reply: stored before the ack, acknowledged after it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.context import SlackContext
from bot.slack.flows.rating import click_from, record_click, tell_clicker
from bot.slack.render.feedback_buttons import FEEDBACK_ACTION

# Ephemeral notes being posted after their ack (kept referenced until done).
_NOTES: set[asyncio.Task[None]] = set()


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.action(re.compile(f"^{FEEDBACK_ACTION}(_good|_bad)?$"))
    async def on_feedback(body: dict[str, Any], ack: AsyncAck) -> None:
        click = click_from(body)
        note = await record_click(ctx, click) if click is not None else None
        await ack()
        if click is not None and note is not None:
            task = asyncio.create_task(tell_clicker(ctx, click, note))
            _NOTES.add(task)
            task.add_done_callback(_NOTES.discard)
