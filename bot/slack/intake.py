"""From an incoming message to a recorded job: what to do, whether it's allowed, exactly once.

Runs before the ack: the job is in the store before Slack hears "received", so a crash after
the ack loses nothing (the runner resumes unfinished jobs at start). The store's unique keys
(event id; channel + ts) turn retries and double deliveries into no-ops.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.events import Incoming
from bot.slack.job_payloads import AnswerPayload, AnyPayload, NoticePayload, SummaryPayload
from bot.slack.markup import parse_message
from bot.store.records import Job

log = logging.getLogger(__name__)

# What to do with a message: the payload of the job to record (its `kind` says which flow).
Decision = AnyPayload


def team_of_incoming(ctx: SlackContext, inc: Incoming) -> str:
    """The workspace a message belongs to (the bot's own for events that do not say)."""
    return inc.team or ctx.team_id or ""


async def decide(ctx: SlackContext, inc: Incoming) -> Decision | None:
    """What the bot should do with a message; None means stay silent."""
    team = team_of_incoming(ctx, inc)
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
            team=team, user=inc.user, since=since, exclude_kinds=("notice",)
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
    return NoticePayload(text=inc.text, message=messages.HELP_IN_THREAD if owned else messages.HELP)


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
