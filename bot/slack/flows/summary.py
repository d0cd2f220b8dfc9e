"""A mention (or DM) with an article: read it, summarise it, reply in the thread.

Several links: the first one that can be read becomes the thread's article, and the reply
says which one was read and how to switch. A link in a thread the bot already owns switches
the thread to that article.
"""

from __future__ import annotations

import logging
import time

from bot.analysis.models import Summary
from bot.domain.article import Article
from bot.errors import BadInput
from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.files import is_readable, load_file
from bot.slack.job_payloads import SummaryPayload
from bot.slack.render import summary_message
from bot.slack.render.feedback_buttons import feedback_blocks, with_feedback
from bot.slack.render.summary_stream import summary_progress
from bot.slack.replies import ThreadReply
from bot.slack.streaming import UPDATE_INTERVAL_S
from bot.slack.usage_accounting import record_usage
from bot.slack.workspace import analyzer_for, loader_for, team_of
from bot.store.records import Job

log = logging.getLogger(__name__)

MAX_LINKS_TRIED = 3


async def load_article(
    ctx: SlackContext, job: Job, payload: SummaryPayload, reply: ThreadReply
) -> tuple[Article, list[str]]:
    """The article to summarise, and notes on how it was chosen."""
    loader = loader_for(ctx, team_of(job))
    parsed = payload.message
    files = payload.files
    if files:
        readable = [f for f in files if is_readable(f)] or files
        return await load_file(ctx, readable[0], loader), []
    if parsed.pasted_text is not None:
        return await loader.load_text(parsed.pasted_text), []
    failures: list[tuple[str, BadInput]] = []
    for url in parsed.urls[:MAX_LINKS_TRIED]:
        await reply.status(messages.READING_URL.format(url=url))
        try:
            article = await loader.load_url(url)
        except BadInput as exc:
            failures.append((url, exc))
            continue
        notes = [
            messages.LINK_FAILED_NEXT.format(failed=bad, reason=exc.user_message, url=url)
            for bad, exc in failures
        ]
        if len(parsed.urls) > 1:
            notes.append(messages.SEVERAL_LINKS.format(count=len(parsed.urls), url=url))
        return article, notes
    raise failures[0][1]


class PartialSummary:
    """Shows the summary as the model writes it: at once when the first words arrive, then at
    most once every UPDATE_INTERVAL_S (chat.update's pace), in the reply message."""

    def __init__(self, article: Article, reply: ThreadReply) -> None:
        self.article, self.reply = article, reply
        self._shown_at: float | None = None

    async def show(self, summary: Summary) -> None:
        if not (summary.tldr or summary.bullets):
            return
        if self.reply.ts is None and self.reply.placeholder_first:
            return  # the placeholder could not be posted: don't add posts while Slack fails
        now = time.monotonic()
        if self._shown_at is not None and now - self._shown_at < UPDATE_INTERVAL_S:
            return
        self._shown_at = now
        await self.reply.progress(summary_progress(self.article, summary))


async def run_summary(
    ctx: SlackContext, job: Job, reply: ThreadReply, payload: SummaryPayload
) -> None:
    await reply.react()
    await reply.status(messages.READING)
    article, notes = await load_article(ctx, job, payload, reply)
    await reply.title(article.display_title)
    team = team_of(job)

    async def link_thread() -> None:
        """The thread is about this article; its summary is the reply message."""
        await ctx.store.set_thread_article(
            job.channel,
            job.thread_ts,
            team=team,
            content_hash=article.content_hash,
            summary_ts=reply.ts,
        )

    await link_thread()
    await reply.status(f"Summarising “{article.display_title}”…")
    result = await analyzer_for(ctx, team).summarize(
        article,
        request=payload.note or None,
        fallback=True,
        on_partial=PartialSummary(article, reply).show,
    )
    await record_usage(ctx, job, "summary", result.usage)
    if payload.switch:
        notes.insert(0, messages.SWITCHED)
    placeholder = reply.ts
    rendered = summary_message(article, result, read_note=" ".join(notes) or None)
    feedback = feedback_blocks(job.id, ctx.settings.slack_feedback_buttons)
    await reply.finish(with_feedback(rendered, feedback))
    if reply.ts != placeholder:  # the result had to be posted as a new message
        await link_thread()
