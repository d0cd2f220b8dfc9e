"""Recent articles per conversation: which threads of a channel (or DM) follow which article.

A direct message is one conversation with the bot: a question asked at the top level of a DM is
about the DM's latest article, so the flows need the channel's threads, newest first.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.store import tables
from bot.store.base import StoreBase
from bot.store.records import ThreadState

_t = tables.threads


class RecentArticles(StoreBase):
    async def latest_threads(self, channel: str, *, limit: int = 20) -> list[ThreadState]:
        """The channel's threads that follow an article, most recently updated first."""
        query = (
            select(_t)
            .where(_t.c.channel == channel)
            .order_by(_t.c.updated_at.desc(), _t.c.thread_ts.desc())
            .limit(max(limit, 0))
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            ThreadState(
                channel=row["channel"],
                thread_ts=row["thread_ts"],
                content_hash=row["content_hash"],
                summary_ts=row["summary_ts"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )
            for row in rows
        ]
