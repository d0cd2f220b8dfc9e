"""From an incoming message to a recorded job: what to do, whether it's allowed, exactly once.

Runs before the ack: the job is in the store before Slack hears "received", so a crash after
the ack loses nothing (the runner resumes unfinished jobs at start). The store's unique keys
(event id; channel + ts) turn retries and double deliveries into no-ops.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.events import Incoming
from bot.slack.job_payloads import (
    UNMETERED_KINDS,
    AnswerPayload,
    AnyPayload,
    ChannelArticlePayload,
    NoticePayload,
    SummaryPayload,
)
from bot.slack.markup import parse_message
from bot.store.records import Job

log = logging.getLogger(__name__)

# What to do with a message: the payload of the job to record (its `kind` says which flow).
Decision = AnyPayload


def team_of_incoming(ctx: SlackContext, inc: Incoming) -> str:
    """The workspace a message belongs to (the bot's own for events that do not say)."""
    return inc.team or ctx.team_id or ""


async def decide(ctx: SlackContext, inc: Incoming) -> Decision | None:
    """What the bot should do with a message; None means stay silent.

    A message in an assistant-pane thread gets the same decisions (marked `pane`, so progress
    shows as the pane's status), plus "summarise the last article shared in this channel".
    """
    team = team_of_incoming(ctx, inc)
    pane = bool(inc.is_dm and inc.thread_ts) and (
        await ctx.store.pane_thread(inc.channel, inc.reply_thread, team=team) is not None
    )
    if pane and asks_for_channel_article(inc.text):
        return ChannelArticlePayload(text=inc.text, pane=True)
    decision = await _decide(ctx, inc, team)
    if decision is not None and pane:
        return decision.model_copy(update={"pane": True})
    return decision


_CHANNEL_ARTICLE = re.compile(
    r"\b(last|latest|newest|recent)\b.*\b(article|link)\b.*\bchannel\b", re.I
)


def asks_for_channel_article(text: str) -> bool:
    """ "Summarise the last article shared in this channel" (the pane's suggested prompt)."""
    parsed = parse_message(text)
    return not parsed.has_article and bool(_CHANNEL_ARTICLE.search(parsed.note))


async def _decide(ctx: SlackContext, inc: Incoming, team: str) -> Decision | None:
    """What the bot should do with a message in workspace `team`; None means stay silent."""
    owned = (
        await ctx.store.get_thread(inc.channel, inc.reply_thread, team=team) is not None
        if inc.thread_ts
        else False
    )
    addressed = inc.mentions_bot or inc.is_dm or owned
    if not addressed or (inc.mentions_others and not inc.mentions_bot):
        return None  # not for us, or people talking to each other in our thread
    allowed = ctx.settings.slack_allowed_channels
    if allowed and not inc.is_dm and inc.channel not in allowed:
        if not inc.mentions_bot:
            return None
        return NoticePayload(text=inc.text, message=messages.NOT_IN_THIS_CHANNEL, refusal=True)
    quota = ctx.settings.slack_user_quota_per_hour
    if quota:
        since = ctx.store.now() - timedelta(hours=1)
        used = await ctx.store.count_requests(
            team=team, user=inc.user, since=since, exclude_kinds=UNMETERED_KINDS
        )
        if used >= quota:
            limit = messages.QUOTA_REACHED.format(quota=quota)
            return NoticePayload(text=inc.text, message=limit, refusal=True)
    parsed = parse_message(inc.text, min_pasted_words=ctx.settings.min_pasted_words)
    if parsed.has_article or inc.files:
        fields = SummaryPayload.parsed_fields(parsed)
        return SummaryPayload(text=inc.text, files=inc.files, switch=owned, **fields)
    if owned and parsed.note:
        return AnswerPayload(text=inc.text, question=parsed.note)
    if inc.is_dm and parsed.note:
        latest = await _dm_question(ctx, inc, team, parsed.note)
        if latest is not None:
            return latest
    return NoticePayload(text=inc.text, message=_help(inc, owned=owned))


def _help(inc: Incoming, *, owned: bool) -> str:
    """What to tell someone whose message the bot cannot act on (never "mention me" in a DM)."""
    if owned:
        return messages.HELP_IN_THREAD
    return messages.HELP_DM if inc.is_dm else messages.HELP


async def _dm_question(
    ctx: SlackContext, inc: Incoming, team: str, question: str
) -> AnswerPayload | None:
    """A DM is one conversation: a question outside an article's thread is about the DM's
    latest article. None when the DM has none yet."""
    threads = await ctx.store.latest_threads(inc.channel, team=team)
    if not threads:
        return None
    articles = len({t.content_hash for t in threads})
    return AnswerPayload(
        text=inc.text,
        question=question,
        article_thread=threads[0].thread_ts,
        articles_in_conversation=articles,
    )


async def record(ctx: SlackContext, inc: Incoming) -> Job | None:
    """Decide and record the job; None when there is nothing to do or it was seen before."""
    decision = await decide(ctx, inc)  # parses the message, once
    if decision is None:
        return None
    job = await ctx.store.record_request(
        event_id=inc.event_id,
        channel=inc.channel,
        ts=inc.ts,
        kind=decision.kind,
        payload=decision.model_dump(mode="json"),
        team=team_of_incoming(ctx, inc),
        user=inc.user,
        thread_ts=inc.reply_thread,
    )
    if job is None:
        log.info("duplicate delivery ignored: channel=%s ts=%s", inc.channel, inc.ts)
    return job
