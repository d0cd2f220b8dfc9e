"""Pasted texts and uploaded files read in Slack, kept per workspace.

The shared `articles` cache holds what anyone can fetch (public URLs). What a person pasted or
uploaded is the workspace's own: it is stored under its team, found only by that team, and
deleted with the team's data.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.article import Article
from bot.store import tables
from bot.store.base import StoreBase

_ta = tables.team_articles


class TeamArticles(StoreBase):
    async def put_team_article(self, team: str, article: Article) -> None:
        if not article.content_hash:
            raise ValueError("article has no content hash: build it with Article.build")
        insert = self._insert(_ta).values(
            team=team,
            content_hash=article.content_hash,
            data=article.model_dump_json(),
            stored_at=self._now(),
        )
        upsert = insert.on_conflict_do_update(
            index_elements=["team", "content_hash"],
            set_={"data": insert.excluded.data, "stored_at": insert.excluded.stored_at},
        )
        async with self._write() as conn:
            await conn.execute(upsert)

    async def get_team_article(self, team: str, content_hash: str) -> Article | None:
        """The team's own copy, else the shared cache's (a public URL any team may read)."""
        own = select(_ta.c.data).where(_ta.c.team == team, _ta.c.content_hash == content_hash)
        shared = select(tables.articles.c.data).where(
            tables.articles.c.content_hash == content_hash
        )
        async with self._engine.connect() as conn:
            data = await conn.scalar(own)
            if data is None:
                data = await conn.scalar(shared)
        return None if data is None else Article.model_validate_json(data)
