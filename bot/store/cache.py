"""Caches: extracted articles (by content hash and by normalised URL) and LLM results.

Articles are keyed by content hash so two URLs with the same text share one copy; the URL
table remembers when each URL was fetched so callers can decide how stale is too stale.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from bot.domain.article import Article
from bot.store import tables
from bot.store.base import StoreBase


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def team_result_prefix(team: str) -> str:
    """How a workspace's results are keyed: its own namespace in the result cache, so a
    summary made for one workspace is never served to another and goes with its data."""
    return f"team={team}|"


class ArticleCache(StoreBase):
    async def get_article(self, content_hash: str) -> Article | None:
        async with self._engine.connect() as conn:
            data = await conn.scalar(
                select(tables.articles.c.data).where(tables.articles.c.content_hash == content_hash)
            )
        return None if data is None else Article.model_validate_json(data)

    async def get_article_for_url(
        self, normalized_url: str, *, max_age_s: float | None = None
    ) -> Article | None:
        """The article last fetched from this URL, if fetched within `max_age_s` seconds."""
        a, u = tables.articles, tables.article_urls
        query = (
            select(a.c.data)
            .join(u, u.c.content_hash == a.c.content_hash)
            .where(u.c.url_hash == key_hash(normalized_url))
        )
        if max_age_s is not None:
            query = query.where(u.c.fetched_at >= self._now() - timedelta(seconds=max_age_s))
        async with self._engine.connect() as conn:
            data = await conn.scalar(query)
        return None if data is None else Article.model_validate_json(data)

    async def put_article(self, article: Article, *, normalized_url: str | None = None) -> None:
        """Store (or refresh) the article and, if given, point the URL at it as of now."""
        if not article.content_hash:
            raise ValueError("article has no content hash: build it with Article.build")
        now = self._now()
        insert = self._insert(tables.articles).values(
            content_hash=article.content_hash, data=article.model_dump_json(), stored_at=now
        )
        upsert = insert.on_conflict_do_update(
            index_elements=["content_hash"],
            set_={"data": insert.excluded.data, "stored_at": insert.excluded.stored_at},
        )
        async with self._write() as conn:
            await conn.execute(upsert)
            if normalized_url is not None:
                url_insert = self._insert(tables.article_urls).values(
                    url_hash=key_hash(normalized_url),
                    normalized_url=normalized_url,
                    content_hash=article.content_hash,
                    fetched_at=now,
                )
                await conn.execute(
                    url_insert.on_conflict_do_update(
                        index_elements=["url_hash"],
                        set_={
                            "content_hash": url_insert.excluded.content_hash,
                            "fetched_at": url_insert.excluded.fetched_at,
                        },
                    )
                )

    async def get_result(self, key: str) -> str | None:
        """Cached result JSON; the caller builds the key (content hash, prompt, model, task)."""
        async with self._engine.connect() as conn:
            return await conn.scalar(
                select(tables.results.c.value).where(tables.results.c.key_hash == key_hash(key))
            )

    async def put_result(self, key: str, value: str) -> None:
        insert = self._insert(tables.results).values(
            key_hash=key_hash(key), key=key, value=value, stored_at=self._now()
        )
        upsert = insert.on_conflict_do_update(
            index_elements=["key_hash"],
            set_={"value": insert.excluded.value, "stored_at": insert.excluded.stored_at},
        )
        async with self._write() as conn:
            await conn.execute(upsert)
