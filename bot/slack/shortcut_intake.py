"""The message shortcut "Summarise this article": the message it was used on becomes a summary
job, exactly as if the bot had been mentioned in it, replying in that message's thread.

The exactly-once key is the message itself (channel, ts): a second use of the shortcut, or a
message that mentioned the bot already, is refused with a note to the user alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.slack import messages
from bot.slack.command_intake import Taken
from bot.slack.context import SlackContext
from bot.slack.events import file_summary
from bot.slack.grid import scope_of
from bot.slack.job_payloads import UNMETERED_KINDS, SummaryPayload
from bot.slack.markup import parse_message


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


async def take_shortcut(ctx: SlackContext, body: dict[str, Any]) -> Taken:
    message = body.get("message") or {}
    channel = _str((body.get("channel") or {}).get("id"))
    user = _str((body.get("user") or {}).get("id"))
    team = scope_of(body).team or ctx.team_id or ""  # org-wide installs: `team` null, user's
    ts = _str(message.get("ts")) or _str(body.get("message_ts"))
    if not (channel and user and ts):
        return Taken(messages.SHORTCUT_NOTHING)
    text = _str(message.get("text"))
    files = [file_summary(f) for f in message.get("files") or [] if isinstance(f, dict)]
    parsed = parse_message(text, min_pasted_words=ctx.settings.min_pasted_words)
    if not (parsed.has_article or files):
        return Taken(messages.SHORTCUT_NOTHING)
    quota = ctx.settings.slack_user_quota_per_hour
    since = ctx.store.now() - timedelta(hours=1)
    if (
        quota
        and await ctx.store.count_requests(
            team=team, user=user, since=since, exclude_kinds=UNMETERED_KINDS
        )
        >= quota
    ):
        return Taken(messages.QUOTA_REACHED.format(quota=quota))
    thread_ts = _str(message.get("thread_ts")) or ts
    owned = (
        thread_ts != ts and await ctx.store.get_thread(channel, thread_ts, team=team) is not None
    )
    payload = SummaryPayload(
        text=text, files=files, switch=owned, **SummaryPayload.parsed_fields(parsed)
    )
    job = await ctx.store.record_request(
        event_id=None,
        channel=channel,
        ts=ts,
        kind=payload.kind,
        payload=payload.model_dump(mode="json"),
        team=team,
        user=user,
        thread_ts=thread_ts,
    )
    return Taken(None if job else messages.SHORTCUT_TWICE, job)
