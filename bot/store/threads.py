"""Slack thread state: which article a thread is about, and its question/answer turns.

Turns are stored with the article they were about, so when a thread switches to another
article the earlier conversation stops being context for follow-ups (but is kept).
Every call names the workspace (`team`): a thread is found only by the team it belongs to.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.engine import RowMapping

from bot.domain.turn import Turn
from bot.store import tables
from bot.store.base import StoreBase
from bot.store.records import ThreadState

_t = tables.threads
_turns = tables.turns


def thread_state(row: RowMapping) -> ThreadState:
    """A `threads` row as the record callers get (also used by the recent-articles queries)."""
    return ThreadState(
        team=row["team"],
        channel=row["channel"],
        thread_ts=row["thread_ts"],
        content_hash=row["content_hash"],
        summary_ts=row["summary_ts"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class ThreadMemory(StoreBase):
    async def get_thread(self, channel: str, thread_ts: str, *, team: str) -> ThreadState | None:
        query = select(_t).where(
            _t.c.team == team, _t.c.channel == channel, _t.c.thread_ts == thread_ts
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else thread_state(row)

    async def set_thread_article(
        self,
        channel: str,
        thread_ts: str,
        *,
        team: str,
        content_hash: str,
        summary_ts: str | None = None,
    ) -> None:
        """Create the thread or switch its article.

        Re-setting the same article with `summary_ts=None` keeps the recorded summary; a
        different article replaces it (the old summary is about the old article).
        """
        now = self._now()
        insert = self._insert(_t).values(
            team=team,
            channel=channel,
            thread_ts=thread_ts,
            content_hash=content_hash,
            summary_ts=summary_ts,
            created_at=now,
            updated_at=now,
        )
        new = insert.excluded
        upsert = insert.on_conflict_do_update(
            index_elements=["team", "channel", "thread_ts"],
            set_={
                "content_hash": new.content_hash,
                "summary_ts": case(
                    (
                        _t.c.content_hash == new.content_hash,
                        func.coalesce(new.summary_ts, _t.c.summary_ts),
                    ),
                    else_=new.summary_ts,
                ),
                "updated_at": new.updated_at,
            },
        )
        async with self._write() as conn:
            await conn.execute(upsert)

    async def add_turn(
        self,
        channel: str,
        thread_ts: str,
        *,
        team: str,
        question: str,
        answer: str,
        content_hash: str,
    ) -> None:
        async with self._write() as conn:
            await conn.execute(
                _turns.insert().values(
                    team=team,
                    channel=channel,
                    thread_ts=thread_ts,
                    content_hash=content_hash,
                    question=question,
                    answer=answer,
                    created_at=self._now(),
                )
            )

    async def get_turns(
        self, channel: str, thread_ts: str, *, team: str, limit: int = 10
    ) -> list[Turn]:
        """The last `limit` turns about the thread's current article, oldest first."""
        current = (
            select(_t.c.content_hash)
            .where(_t.c.team == team, _t.c.channel == channel, _t.c.thread_ts == thread_ts)
            .scalar_subquery()
        )
        query = (
            select(_turns.c.question, _turns.c.answer)
            .where(
                _turns.c.team == team,
                _turns.c.channel == channel,
                _turns.c.thread_ts == thread_ts,
                _turns.c.content_hash == current,
            )
            .order_by(_turns.c.id.desc())
            .limit(max(limit, 0))
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Turn(question=q, answer=a) for q, a in reversed(rows)]
