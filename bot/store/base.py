"""What every part of the store shares: the engine, a write view of it, the clock, upserts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.engine import writer

Clock = Callable[[], datetime]
T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """Serves calls that arrive together with one batch: group commit, grouped reads.

    The first call starts a batch; calls arriving while it runs wait for the next one. Under a
    burst (a hundred Slack events at once) each caller waits for one short query instead of a
    queue of a hundred.
    """

    def __init__(self, run_batch: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._run_batch = run_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                results = await self._run_batch([item for item, _ in batch])
            except Exception as exc:  # every waiter hears about it
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Database:
    """The one engine all parts of a store share: reads, queued writes, the clock, upserts."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._clock = clock
        # SQLite has one writer at a time. Queueing this process's writers here (FIFO, no
        # sleeping) instead of in SQLite's busy handler (which backs off in sleeps of up to
        # 100 ms) keeps a burst of Slack events from stretching each ack to seconds.
        self._write_lock: asyncio.Lock | None = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else None
        )
        self._urgent = 0
        self._no_urgent = asyncio.Event()
        self._no_urgent.set()

    @asynccontextmanager
    async def write(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A write transaction (SQLite: BEGIN IMMEDIATE, one writer of this process at a time).

        `urgent` writers (recording Slack requests, which Slack is waiting on) go before
        waiting background writers (job progress).
        """
        if self._write_lock is None:
            async with self._writer.begin() as conn:
                yield conn
            return
        if urgent:
            self._urgent += 1
            self._no_urgent.clear()
        else:
            await self._no_urgent.wait()
        try:
            async with self._write_lock:
                if urgent:
                    self._urgent -= 1
                    if not self._urgent:
                        self._no_urgent.set()
                    urgent = False
                async with self._writer.begin() as conn:
                    yield conn
        finally:
            if urgent:  # cancelled while waiting for the lock
                self._urgent -= 1
                if not self._urgent:
                    self._no_urgent.set()

    def now(self) -> datetime:
        """The current time from the injected clock: tests move time instead of sleeping."""
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the store clock must return timezone-aware datetimes")
        return now.astimezone(UTC)

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT with ON CONFLICT support (same API on both supported backends)."""
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)


class StoreBase:
    """One part of the store, over the shared `Database`: reads use `_engine`, writes `_write()`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._engine = db.engine

    def _write(self, *, urgent: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return self._db.write(urgent=urgent)

    def _now(self) -> datetime:
        return self._db.now()

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        return self._db.insert(table)
