"""Slack assistant-pane threads and the channel each one was opened from (its "context").

Slack says which channel the user is viewing in `assistant_thread_started` and again in
`assistant_thread_context_changed`; the latest is kept here, so "summarise the last article
shared in this channel" knows which channel that is (and a pane opened outside any channel
gets a clear answer instead of a guess).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bot.store import tables
from bot.store.base import StoreBase

_a = tables.assistant_threads


@dataclass(frozen=True)
class PaneThread:
    channel: str
    thread_ts: str
    team: str | None
    user: str | None
    context_channel: str | None


class AssistantThreads(StoreBase):
    async def save_pane_context(
        self,
        channel: str,
        thread_ts: str,
        *,
        team: str | None,
        user: str | None,
        context_channel: str | None,
    ) -> None:
        insert = self._insert(_a).values(
            channel=channel,
            thread_ts=thread_ts,
            team=team,
            user=user,
            context_channel=context_channel,
            updated_at=self._now(),
        )
        upsert = insert.on_conflict_do_update(
            index_elements=["channel", "thread_ts"],
            set_={
                "context_channel": insert.excluded.context_channel,
                "updated_at": insert.excluded.updated_at,
            },
        )
        async with self._write(urgent=True) as conn:
            await conn.execute(upsert)

    async def pane_thread(self, channel: str, thread_ts: str, *, team: str) -> PaneThread | None:
        """The pane thread of workspace `team` (another workspace's is never found)."""
        query = select(_a).where(
            func.coalesce(_a.c.team, "") == team,
            _a.c.channel == channel,
            _a.c.thread_ts == thread_ts,
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        return PaneThread(
            channel=row["channel"],
            thread_ts=row["thread_ts"],
            team=row["team"],
            user=row["user"],
            context_channel=row["context_channel"],
        )
