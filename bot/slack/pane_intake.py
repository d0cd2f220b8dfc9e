"""Assistant-pane events before the ack: the thread's channel context, and the greeting job."""

from __future__ import annotations

from typing import Any

from bot.slack.context import SlackContext
from bot.slack.job_payloads import PaneStartPayload
from bot.store.records import Job


def _thread(body: dict[str, Any]) -> dict[str, Any]:
    event = body.get("event") or {}
    thread = event.get("assistant_thread") if isinstance(event, dict) else None
    return thread if isinstance(thread, dict) else {}


def _context_channel(thread: dict[str, Any]) -> str | None:
    """The channel the user is viewing; None outside a channel (a DM, or no context at all)."""
    channel = (thread.get("context") or {}).get("channel_id")
    return channel if isinstance(channel, str) and channel[:1] in ("C", "G") else None


async def save_context(ctx: SlackContext, body: dict[str, Any]) -> tuple[str, str] | None:
    """Record the pane thread and the channel it looks at; (channel, thread_ts) or None."""
    thread = _thread(body)
    channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
    if not (isinstance(channel, str) and isinstance(thread_ts, str)):
        return None
    user = thread.get("user_id")
    await ctx.store.save_pane_context(
        channel,
        thread_ts,
        team=body.get("team_id") or ctx.team_id or "",
        user=user if isinstance(user, str) else None,
        context_channel=_context_channel(thread),
    )
    return channel, thread_ts


async def record_pane_start(ctx: SlackContext, body: dict[str, Any]) -> Job | None:
    """The greeting job for a newly opened pane thread (once, whatever Slack redelivers)."""
    where = await save_context(ctx, body)
    if where is None:
        return None
    channel, thread_ts = where
    thread = _thread(body)
    payload = PaneStartPayload(context_channel=_context_channel(thread), pane=True)
    user = thread.get("user_id")
    return await ctx.store.record_request(
        event_id=body.get("event_id") if isinstance(body.get("event_id"), str) else None,
        channel=channel,
        ts=thread_ts,
        kind=payload.kind,
        payload=payload.model_dump(mode="json"),
        team=body.get("team_id") or ctx.team_id or "",
        user=user if isinstance(user, str) else None,
        thread_ts=thread_ts,
    )
