"""Short replies that need no article: help, refusals (channel not allowed, quota reached)."""

from __future__ import annotations

from bot.slack.context import SlackContext
from bot.slack.render import error_message, status_message
from bot.slack.replies import ThreadReply
from bot.store.records import Job


async def run_notice(ctx: SlackContext, job: Job, reply: ThreadReply) -> None:
    text = str(job.payload.get("message") or "")
    refusal = job.payload.get("refusal", False)
    await reply.finish([error_message(text) if refusal else status_message(text)])
