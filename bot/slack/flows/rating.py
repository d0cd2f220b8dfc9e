"""A 👍/👎 click: checked against the reply's request, stored, acknowledged to the clicker alone.

The rating belongs to the person who asked, in the workspace and conversation they asked in; a
click from anyone else is refused with a short ephemeral note. Clicking again changes the
stored rating (one row per reply and user), so a double click never counts twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.render.feedback_buttons import FeedbackRating, parse_feedback_value, rating_emoji
from bot.slack.web_api import classify, count_failure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedbackClick:
    job_id: int
    rating: FeedbackRating
    user: str
    team: str | None
    channel: str
    thread_ts: str | None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def click_from(body: dict[str, Any]) -> FeedbackClick | None:
    """The click in a `block_actions` payload; None when it is not a feedback click of ours."""
    actions = body.get("actions") or []
    parsed = parse_feedback_value(actions[0].get("value")) if actions else None
    user = body.get("user") or {}
    channel = _str((body.get("channel") or {}).get("id")) or _str(
        (body.get("container") or {}).get("channel_id")
    )
    if parsed is None or _str(user.get("id")) is None or channel is None:
        return None
    container = body.get("container") or {}
    return FeedbackClick(
        job_id=parsed[0],
        rating=parsed[1],
        user=str(user["id"]),
        team=_str((body.get("team") or {}).get("id")) or _str(user.get("team_id")),
        channel=channel,
        thread_ts=_str(container.get("thread_ts")) or _str(container.get("message_ts")),
    )


async def record_click(ctx: SlackContext, click: FeedbackClick) -> str:
    """Store the click if it may be stored; returns what to tell the clicker."""
    job = await ctx.store.get_job(click.job_id)
    if job is None:
        return messages.FEEDBACK_GONE
    if job.team and click.team and job.team != click.team:
        return messages.FEEDBACK_OTHER_WORKSPACE
    if job.channel != click.channel or job.user != click.user:
        return messages.FEEDBACK_NOT_YOURS
    change = await ctx.store.record_feedback(
        job_id=job.id,
        kind=job.kind,
        team=job.team,
        channel=job.channel,
        user=click.user,
        value=click.rating,
    )
    template = {
        "new": messages.FEEDBACK_THANKS,
        "changed": messages.FEEDBACK_CHANGED,
        "same": messages.FEEDBACK_SAME,
    }[change]
    return template.format(emoji=rating_emoji(click.rating))


async def tell_clicker(ctx: SlackContext, click: FeedbackClick, text: str) -> None:
    """An ephemeral note only the clicker sees, with their workspace's client; best effort
    (the rating is stored already)."""
    scoped = await ctx.for_team(click.team)
    if scoped is None:
        log.warning("no installation to acknowledge feedback on job %s", click.job_id)
        return
    try:
        await scoped.client.chat_postEphemeral(
            channel=click.channel, user=click.user, thread_ts=click.thread_ts, text=text
        )
    except Exception as exc:
        fault = classify(exc)
        if fault is None:
            raise
        count_failure(fault)
        log.warning("could not acknowledge feedback on job %s: %s", click.job_id, fault.error)
