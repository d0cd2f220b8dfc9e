"""`/articlebot <link or text>`: a summary only the requester sees; "Share in channel" posts it
as a new thread the channel can follow up in (the article is remembered under the command's
key, so sharing costs no second read and, cached, no second LLM call)."""

from __future__ import annotations

from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.flows.summary import load_article
from bot.slack.job_payloads import CommandPayload, SharePayload
from bot.slack.render import RenderedMessage, error_message, status_message, summary_message
from bot.slack.render.command_reply import with_share_button
from bot.slack.render.feedback_buttons import feedback_blocks, with_feedback
from bot.slack.replies import REPLY_EVENT, ThreadReply
from bot.slack.usage_accounting import record_usage
from bot.slack.web_api import classify
from bot.slack.workspace import analyzer_for, team_of
from bot.store.records import Job


async def run_command(
    ctx: SlackContext, job: Job, reply: ThreadReply, payload: CommandPayload
) -> None:
    team = team_of(job)
    article, notes = await load_article(ctx, job, payload.as_summary(), reply)
    # Remembered under the command's own key: what "Share in channel" will post.
    await ctx.store.set_thread_article(
        job.channel, job.thread_ts, team=team, content_hash=article.content_hash
    )
    result = await analyzer_for(ctx, team).summarize(
        article, request=payload.note or None, fallback=True
    )
    await record_usage(ctx, job, "summary", result.usage)
    rendered = summary_message(article, result, read_note=" ".join(notes) or None)
    await reply.finish(with_share_button(rendered, job.id))


async def run_share(ctx: SlackContext, job: Job, reply: ThreadReply, payload: SharePayload) -> None:
    team = team_of(job)
    command = await ctx.store.get_job(payload.command_job)
    if command is not None and team_of(command) != team:
        command = None  # another workspace's command: never shared here
    thread = (
        await ctx.store.get_thread(job.channel, command.thread_ts, team=team) if command else None
    )
    article = await ctx.store.get_team_article(team, thread.content_hash) if thread else None
    if command is None or article is None:
        await reply.finish([error_message(messages.SHARE_GONE)])
        return
    if job.reply_ts is None:  # not posted by an earlier attempt of this job
        note = CommandPayload.model_validate(command.payload).note
        result = await analyzer_for(ctx, team).summarize(
            article, request=note or None, fallback=True
        )
        await record_usage(ctx, job, "summary", result.usage)
        rendered = summary_message(article, result)
        parts = with_feedback(
            rendered, feedback_blocks(job.id, ctx.settings.slack_feedback_buttons)
        )
        try:
            root = await _post(ctx, job, parts[0], thread_ts=None)
        except Exception as exc:
            fault = classify(exc)
            if fault is None or fault.fault != "no_access":
                raise
            await reply.finish([error_message(messages.SHARE_NOT_IN_CHANNEL)])
            return
        await ctx.store.set_job_reply(job.id, root)
        await ctx.store.set_thread_article(
            job.channel, root, team=team, content_hash=article.content_hash, summary_ts=root
        )
        for part in parts[1:]:
            await _post(ctx, job, part, thread_ts=root)
    await reply.finish([status_message(messages.SHARED)])


async def _post(
    ctx: SlackContext, job: Job, message: RenderedMessage, *, thread_ts: str | None
) -> str:
    response = await ctx.client.chat_postMessage(
        channel=job.channel,
        thread_ts=thread_ts,
        text=message.text,
        blocks=message.blocks,
        metadata={"event_type": REPLY_EVENT, "event_payload": {"job": job.id}},
        unfurl_links=False,
        unfurl_media=False,
    )
    return str(response["ts"])
