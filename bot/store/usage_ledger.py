"""The usage ledger: one row per LLM call, summed per Slack team, channel or user on demand."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select

from bot.domain.usage import CallRecord, Usage
from bot.store import tables
from bot.store.base import StoreBase

_u = tables.usage
UsageGroup = Literal["team", "channel", "user"]


class UsageLedger(StoreBase):
    async def record_usage(
        self,
        record: CallRecord,
        *,
        team: str | None = None,
        channel: str | None = None,
        user: str | None = None,
    ) -> None:
        async with self._write() as conn:
            await conn.execute(
                _u.insert().values(
                    created_at=self._now(),
                    task=record.task,
                    model=record.model,
                    mode=record.mode,
                    streamed=record.streamed,
                    latency_ms=record.latency_ms,
                    calls=record.usage.calls,
                    prompt_tokens=record.usage.prompt_tokens,
                    completion_tokens=record.usage.completion_tokens,
                    cached_tokens=record.usage.cached_tokens,
                    team=team,
                    channel=channel,
                    user=user,
                )
            )

    async def usage_totals(self, by: UsageGroup) -> dict[str, Usage]:
        """Totals per team, channel or user; calls made outside Slack (CLI) are under ""."""
        if by not in ("team", "channel", "user"):
            raise ValueError(f"cannot group usage by {by!r}")
        group = func.coalesce(_u.c[by], "")
        query = select(
            group,
            func.sum(_u.c.calls),
            func.sum(_u.c.prompt_tokens),
            func.sum(_u.c.completion_tokens),
            func.sum(_u.c.cached_tokens),
        ).group_by(group)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {
            key: Usage(
                calls=int(calls),
                prompt_tokens=int(prompt),
                completion_tokens=int(completion),
                cached_tokens=int(cached),
            )
            for key, calls, prompt, completion, cached in rows
        }
