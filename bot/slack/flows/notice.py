"""Short replies that need no article: help, refusals (channel not allowed, quota reached)."""

from __future__ import annotations

from bot.slack.context import SlackContext
from bot.slack.job_payloads import NoticePayload
from bot.slack.render import error_message, status_message
from bot.slack.replies import ThreadReply
from bot.store.records import Job


async def run_notice(
    ctx: SlackContext, job: Job, reply: ThreadReply, payload: NoticePayload
) -> None:
    text = payload.message
    await reply.finish([error_message(text) if payload.refusal else status_message(text)])
