"""Slack's assistant pane: the greeting with suggested prompts, and "summarise the last article
shared in this channel".

Privacy: the channel is the one Slack says the user is viewing (the thread's context); only
when asked, the bot reads that channel's latest top-level messages (HISTORY_LIMIT, people's
messages only) for the newest link, and only if it is a member there. Nothing is stored but
the article it then reads, as for any link.
"""

from __future__ import annotations

from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.flows.summary import run_summary
from bot.slack.job_payloads import ChannelArticlePayload, PaneStartPayload, SummaryPayload
from bot.slack.markup import parse_message
from bot.slack.render import error_message, status_message
from bot.slack.replies import ThreadReply
from bot.slack.web_api import classify
from bot.slack.workspace import team_of
from bot.store.records import Job

HISTORY_LIMIT = 50


def _prompts(with_channel: bool) -> list[dict[str, str]]:
    prompts = [{"title": messages.PANE_PROMPT_LINK, "message": messages.PANE_PROMPT_LINK_MESSAGE}]
    if with_channel:
        prompts.append(
            {"title": messages.PANE_PROMPT_CHANNEL, "message": messages.PANE_PROMPT_CHANNEL}
        )
    prompts.append({"title": messages.PANE_PROMPT_PEOPLE, "message": messages.PANE_PROMPT_PEOPLE})
    return prompts


async def run_pane_start(
    ctx: SlackContext, job: Job, reply: ThreadReply, payload: PaneStartPayload
) -> None:
    in_channel = payload.context_channel is not None
    await ctx.client.assistant_threads_setSuggestedPrompts(
        channel_id=job.channel,
        thread_ts=job.thread_ts,
        title=messages.PANE_PROMPTS_TITLE,
        prompts=_prompts(in_channel),
    )
    greeting = messages.PANE_GREETING_CHANNEL if in_channel else messages.PANE_GREETING
    await reply.finish([status_message(greeting)])


async def _newest_link(ctx: SlackContext, channel: str) -> str | None:
    page = await ctx.client.conversations_history(channel=channel, limit=HISTORY_LIMIT)
    for found in page.get("messages") or []:
        if not isinstance(found, dict) or found.get("bot_id") or found.get("subtype"):
            continue
        urls = parse_message(str(found.get("text") or "")).urls
        if urls:
            return urls[0]
    return None


async def run_channel_article(
    ctx: SlackContext, job: Job, reply: ThreadReply, payload: ChannelArticlePayload
) -> None:
    pane = await ctx.store.pane_thread(job.channel, job.thread_ts, team=team_of(job))
    channel = pane.context_channel if pane else None
    if channel is None:
        await reply.finish([error_message(messages.PANE_NO_CONTEXT)])
        return
    await reply.status(messages.READING)
    try:
        url = await _newest_link(ctx, channel)
    except Exception as exc:
        fault = classify(exc)
        if fault is None or fault.fault != "no_access":
            raise
        await reply.finish([error_message(messages.PANE_CANT_READ)])
        return
    if url is None:
        await reply.finish([error_message(messages.PANE_NO_LINK.format(count=HISTORY_LIMIT))])
        return
    summary = SummaryPayload(text=payload.text, urls=[url], pane=True)
    await run_summary(ctx, job, reply, summary)
