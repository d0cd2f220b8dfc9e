"""What every part of the store shares: the engine, a write view of it, the clock, upserts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import writer

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class StoreBase:
    """Holds the engine; reads use `_engine`, writes `_writer` (SQLite: BEGIN IMMEDIATE)."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._writer = writer(engine)
        self._clock = clock

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    def _now(self) -> datetime:
        """The current time from the injected clock: tests move time instead of sleeping."""
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the store clock must return timezone-aware datetimes")
        return now.astimezone(UTC)

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT with ON CONFLICT support (same API on both supported backends)."""
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)
