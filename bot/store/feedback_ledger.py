"""Feedback on the bot's replies (👍/👎) and the weekly per-channel figures `articlebot stats`
prints: feedback next to LLM usage, so a team sees what its tokens bought.

A click is keyed by (job, user): clicking again changes the row instead of adding one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select

from bot.domain.usage import Usage
from bot.store import tables
from bot.store.base import StoreBase

_f = tables.feedback
_u = tables.usage

FeedbackValue = Literal["good", "bad"]
# What a click did: a first rating, a changed one, or the same rating again.
FeedbackChange = Literal["new", "changed", "same"]


@dataclass
class WeekStats:
    """One channel's week: replies rated good and bad, and the LLM usage behind its requests."""

    channel: str
    week: date  # the Monday the ISO week starts on
    good: int = 0
    bad: int = 0
    requests: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    teams: set[str] = field(default_factory=set)


def week_of(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


class FeedbackLog(StoreBase):
    async def record_feedback(
        self,
        *,
        job_id: int,
        kind: str,
        team: str | None,
        channel: str,
        user: str,
        value: FeedbackValue,
    ) -> FeedbackChange:
        """Store `user`'s rating of the reply to job `job_id`; says whether it changed."""
        now = self._now()
        async with self._write() as conn:
            key = (_f.c.job_id == job_id) & (_f.c.user == user)
            before = (await conn.execute(select(_f.c.value).where(key))).scalar()
            if before == value:
                return "same"
            insert = self._insert(_f).values(
                job_id=job_id,
                kind=kind,
                team=team,
                channel=channel,
                user=user,
                value=value,
                created_at=now,
                updated_at=now,
            )
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["job_id", "user"],
                    set_={"value": insert.excluded.value, "updated_at": now},
                )
            )
        return "new" if before is None else "changed"

    async def feedback_of(self, job_id: int, user: str) -> FeedbackValue | None:
        query = select(_f.c.value).where(_f.c.job_id == job_id, _f.c.user == user)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).scalar()
        return "good" if found == "good" else "bad" if found == "bad" else None

    async def weekly_stats(self, *, team: str | None = None) -> list[WeekStats]:
        """Per channel and ISO week, newest week first: feedback and usage (Slack requests only)."""
        weeks: dict[tuple[str, date], WeekStats] = {}

        def row(channel: str, moment: datetime) -> WeekStats:
            key = (channel, week_of(moment))
            return weeks.setdefault(key, WeekStats(channel=key[0], week=key[1]))

        rated = select(_f.c.channel, _f.c.updated_at, _f.c.value, _f.c.team)
        used = select(
            _u.c.channel, _u.c.created_at, _u.c.calls, _u.c.prompt_tokens,
            _u.c.completion_tokens, _u.c.team,
        ).where(_u.c.channel.is_not(None))  # fmt: skip
        if team is not None:
            rated, used = rated.where(_f.c.team == team), used.where(_u.c.team == team)
        async with self._engine.connect() as conn:
            for channel, moment, value, who in (await conn.execute(rated)).all():
                stats = row(channel, moment)
                stats.good += value == "good"
                stats.bad += value == "bad"
                stats.teams.add(who or "")
            for channel, moment, calls, prompt, completion, who in (await conn.execute(used)).all():
                stats = row(channel, moment)
                stats.requests += 1
                stats.calls += calls
                stats.prompt_tokens += prompt
                stats.completion_tokens += completion
                stats.teams.add(who or "")
        return sorted(weeks.values(), key=lambda s: (-s.week.toordinal(), s.channel))

    async def team_usage_since(self, team: str | None, since: datetime) -> Usage:
        """A workspace's LLM usage from `since` on (`/articlebot usage`: this month's)."""
        query = select(
            func.coalesce(func.sum(_u.c.calls), 0),
            func.coalesce(func.sum(_u.c.prompt_tokens), 0),
            func.coalesce(func.sum(_u.c.completion_tokens), 0),
            func.coalesce(func.sum(_u.c.cached_tokens), 0),
        ).where(_u.c.created_at >= since, _u.c.team == team)
        async with self._engine.connect() as conn:
            calls, prompt, completion, cached = (await conn.execute(query)).one()
        return Usage(
            calls=int(calls),
            prompt_tokens=int(prompt),
            completion_tokens=int(completion),
            cached_tokens=int(cached),
        )
