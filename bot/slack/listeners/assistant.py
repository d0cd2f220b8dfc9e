"""Slack's assistant pane through bolt's `AsyncAssistant` middleware.

`assistant_thread_started` records the thread's channel context and a greeting job;
`assistant_thread_context_changed` records the new context; a user's message in a pane thread
goes through the same intake as any message (recorded before the ack, exactly once). Bolt sends
every DM thread message through this middleware, so DM threads outside the pane pass here too,
to the same intake.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncAssistant

from bot.slack.context import SlackContext
from bot.slack.jobs import JobRunner
from bot.slack.listeners.accept import accept
from bot.slack.pane_intake import record_pane_start, save_context


def register(app: AsyncApp, ctx: SlackContext, runner: JobRunner) -> None:
    assistant = AsyncAssistant()

    @assistant.thread_started
    async def started(body: dict[str, Any], ack: AsyncAck) -> None:
        job = await record_pane_start(ctx, body)
        await ack()
        if job is not None:
            runner.submit(job)

    @assistant.thread_context_changed
    async def context_changed(body: dict[str, Any], ack: AsyncAck) -> None:
        await save_context(ctx, body)
        await ack()

    @assistant.user_message
    async def user_message(body: dict[str, Any], ack: AsyncAck) -> None:
        await accept(body, ack, ctx, runner)

    app.assistant(assistant)
