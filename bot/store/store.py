"""The `Store` facade: one object the bot and CLI open at start and close at exit."""

from __future__ import annotations

from types import TracebackType

from bot.store.base import Clock, utc_now
from bot.store.cache import ArticleCache
from bot.store.engine import create_engine, writer
from bot.store.intake import SlackIntake
from bot.store.migrations import migrate
from bot.store.threads import ThreadMemory
from bot.store.usage import UsageLedger


class Store(ArticleCache, SlackIntake, ThreadMemory, UsageLedger):
    """Caches, Slack thread state, exactly-once intake, jobs and usage, on SQLite or PostgreSQL."""

    @classmethod
    async def open(cls, url: str, *, clock: Clock = utc_now, busy_timeout_s: float = 30.0) -> Store:
        """Connect and create or upgrade the schema.

        `url` is any SQLAlchemy URL for SQLite or PostgreSQL (plain `sqlite:///`, `postgresql://`
        and `postgres://` get async drivers). `clock` exists so tests can move time.
        """
        engine = create_engine(url, busy_timeout_s=busy_timeout_s)
        try:
            async with writer(engine).begin() as conn:
                await conn.run_sync(migrate)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, clock=clock)

    async def close(self) -> None:
        try:
            await self.close_presence()
        finally:
            await self._engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
