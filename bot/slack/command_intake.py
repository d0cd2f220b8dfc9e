"""`/articlebot …` and "Share in channel": from the payload to a recorded job, or a short answer.

Like `intake`, this runs before the ack: a summary request is a job in the store before Slack
hears "received". Slash commands and clicks carry no event id, so the exactly-once key is the
(channel, key) pair: the command's trigger_id (unique per invocation), and for a share the
command it shares (a second click finds the key taken and is told so).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.config import Settings
from bot.domain.usage import Usage
from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.job_payloads import UNMETERED_KINDS, CommandPayload, SharePayload, SummaryPayload
from bot.slack.markup import parse_message
from bot.slack.render.command_reply import usage_text
from bot.store.records import Job


@dataclass(frozen=True)
class Taken:
    """What the ack says (ephemeral), and the job to run after it, if any."""

    text: str | None
    job: Job | None = None


def _key(prefix: str, unique: str) -> str:
    """A dedupe key that fits the jobs table's ts column (32 characters)."""
    return f"{prefix}:{hashlib.sha256(unique.encode()).hexdigest()[:27]}"


def cost_of(usage: Usage, settings: Settings) -> float:
    fresh = usage.prompt_tokens - usage.cached_tokens
    return (
        fresh * settings.llm_price_input_per_mtok
        + usage.cached_tokens * settings.llm_price_cached_input_per_mtok
        + usage.completion_tokens * settings.llm_price_output_per_mtok
    ) / 1e6


async def _usage(ctx: SlackContext, user: str, team: str) -> str:
    now = ctx.store.now()
    quota = ctx.settings.slack_user_quota_per_hour
    used = await ctx.store.count_requests(
        team=team, user=user, since=now - timedelta(hours=1), exclude_kinds=UNMETERED_KINDS
    )
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    usage = await ctx.store.team_usage_since(team, month_start)
    return usage_text(
        quota=quota,
        used=used,
        tokens=usage.prompt_tokens + usage.completion_tokens,
        calls=usage.calls,
        cost_usd=cost_of(usage, ctx.settings),
    )


async def _over_quota(ctx: SlackContext, user: str, team: str) -> str | None:
    quota = ctx.settings.slack_user_quota_per_hour
    if not quota:
        return None
    since = ctx.store.now() - timedelta(hours=1)
    used = await ctx.store.count_requests(
        team=team, user=user, since=since, exclude_kinds=UNMETERED_KINDS
    )
    return messages.QUOTA_REACHED.format(quota=quota) if used >= quota else None


async def take_command(ctx: SlackContext, body: dict[str, Any]) -> Taken:
    """`/articlebot` with its text: help, usage, a refusal, or a recorded summary job."""
    text = str(body.get("text") or "").strip()
    user, channel = str(body.get("user_id") or ""), str(body.get("channel_id") or "")
    team = str(body.get("team_id") or "") or ctx.team_id or ""
    if not text:
        return Taken(messages.COMMAND_EMPTY)
    if text.lower() == "help":
        return Taken(messages.COMMAND_HELP)
    if text.lower() == "usage":
        return Taken(await _usage(ctx, user, team))
    if refusal := await _over_quota(ctx, user, team):
        return Taken(refusal)
    parsed = parse_message(text, min_pasted_words=ctx.settings.min_pasted_words)
    if not parsed.has_article:
        return Taken(messages.COMMAND_NO_ARTICLE.format(text=text[:80]))
    payload = CommandPayload(
        text=text,
        response_url=str(body.get("response_url") or ""),
        **SummaryPayload.parsed_fields(parsed),
    )
    key = _key("cmd", str(body.get("trigger_id") or text))
    job = await ctx.store.record_request(
        event_id=None,
        channel=channel,
        ts=key,
        kind=payload.kind,
        payload=payload.model_dump(mode="json"),
        team=team,
        user=user,
        thread_ts=key,
    )
    return Taken(messages.COMMAND_READING if job else None, job)


async def take_share(ctx: SlackContext, body: dict[str, Any], command_job: int) -> Taken:
    """A click on "Share in channel": a share job, or why not."""
    user = str((body.get("user") or {}).get("id") or "")
    team = str((body.get("team") or {}).get("id") or "") or None
    command = await ctx.store.get_job(command_job)
    if command is None or command.kind != "command":
        return Taken(messages.SHARE_GONE)
    if command.user != user or (team and command.team and team != command.team):
        return Taken(messages.SHARE_NOT_YOURS)
    owner = command.team or ""
    if await ctx.store.get_thread(command.channel, command.thread_ts, team=owner) is None:
        return Taken(messages.SHARE_GONE)
    payload = SharePayload(command_job=command.id, response_url=str(body.get("response_url") or ""))
    key = f"share:{command.id}"
    job = await ctx.store.record_request(
        event_id=None,
        channel=command.channel,
        ts=key,
        kind=payload.kind,
        payload=payload.model_dump(mode="json"),
        team=command.team,
        user=user,
        thread_ts=key,
    )
    return Taken(None if job else messages.SHARE_TWICE, job)
