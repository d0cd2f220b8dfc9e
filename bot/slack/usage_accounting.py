"""Token usage per team, channel and user: one row per Slack request that used the LLM."""

from __future__ import annotations

from bot.domain.usage import CallRecord, Usage
from bot.slack.context import SlackContext
from bot.store.records import Job


async def record_usage(ctx: SlackContext, job: Job, task: str, usage: Usage) -> None:
    if usage.calls == 0 or ctx.runtime.llm is None:
        return  # the offline engine and cache hits cost nothing
    elapsed_ms = (ctx.store.now() - job.created_at).total_seconds() * 1000
    await ctx.store.record_usage(
        CallRecord(
            task=task, model=ctx.runtime.llm.model, usage=usage, latency_ms=elapsed_ms, mode="job"
        ),
        team=job.team,
        channel=job.channel,
        user=job.user,
    )
