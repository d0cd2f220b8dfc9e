"""Recent articles per conversation: which threads of a channel (or DM) follow which article.

A direct message is one conversation with the bot: a question asked at the top level of a DM is
about the DM's latest article, so the flows need the channel's threads, newest first.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.store import tables
from bot.store.base import StoreBase
from bot.store.records import ThreadState
from bot.store.threads import thread_state

_t = tables.threads


class RecentArticles(StoreBase):
    async def latest_threads(
        self, channel: str, *, team: str, limit: int = 20
    ) -> list[ThreadState]:
        """The workspace channel's threads that follow an article, most recently updated first."""
        query = (
            select(_t)
            .where(_t.c.team == team, _t.c.channel == channel)
            .order_by(_t.c.updated_at.desc(), _t.c.thread_ts.desc())
            .limit(max(limit, 0))
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [thread_state(row) for row in rows]

    async def user_recent_threads(
        self, user: str, *, team: str, limit: int = 10
    ) -> list[ThreadState]:
        """Threads of workspace `team` about an article a person asked for (a mention, DM,
        shortcut or share), most recently active first: the App Home's "your recent articles"."""
        _j = tables.jobs
        same_thread = (
            (_j.c.channel == _t.c.channel)
            & (_j.c.thread_ts == _t.c.thread_ts)
            & (func.coalesce(_j.c.team, "") == _t.c.team)
        )
        asked = (
            select(_t)
            .join(_j, same_thread)
            .where(
                _t.c.team == team,
                _j.c.user == user,
                _j.c.kind.in_(("summary", "channel_article", "share")),
            )
            .distinct()
            .order_by(_t.c.updated_at.desc())
            .limit(max(limit, 0))
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(asked)).mappings().all()
        return [thread_state(row) for row in rows]
