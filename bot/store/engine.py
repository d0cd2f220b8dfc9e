"""Turn a configured database URL into an async engine that behaves the same on every backend.

Settings speak plain `sqlite:///...` and `postgresql://...`; the store needs async drivers, so
the URL is translated here. SQLite gets WAL (readers never block the writer), foreign keys and
a busy timeout, and SQLAlchemy emits BEGIN itself: Python's sqlite3 otherwise leaves DDL and
SELECTs outside transactions, which would make migrations and read-then-write steps unsafe.
Write transactions ask for `BEGIN IMMEDIATE` (see `writer`) so that two processes never both
read and then fail to upgrade to a write lock.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SUPPORTED_BACKENDS = ("sqlite", "postgresql")

# Plain or sync drivers mapped to the async driver we ship; an explicit async driver is kept.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg2": "postgresql+psycopg",
    "postgres+psycopg": "postgresql+psycopg",
}

_BEGIN_OPTION = "sqlite_begin"


def async_url(url: str | URL) -> URL:
    """The URL with an async driver; raises ValueError for backends the store does not support."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=_ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername))
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise ValueError(f"unsupported database backend: {parsed.get_backend_name()!r}")
    return parsed


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for in-memory and non-SQLite databases."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_engine(url: str | URL, *, busy_timeout_s: float = 30.0) -> AsyncEngine:
    """An async engine for `url`; creates the SQLite file's directory (and nothing else)."""
    target = async_url(url)
    path = sqlite_file(target)
    if path is not None:
        path.expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(target, pool_pre_ping=target.get_backend_name() != "sqlite")
    if target.get_backend_name() == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms=int(busy_timeout_s * 1000))
    return engine


def writer(engine: AsyncEngine) -> AsyncEngine:
    """A view of `engine` (same pool) whose transactions take SQLite's write lock up front."""
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from sqlite3 (see module docstring), then set PRAGMAs
        # outside any transaction. busy_timeout first: switching to WAL may wait for a lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
            switch_to_wal(cursor, deadline=time.monotonic() + busy_timeout_ms / 1000)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def switch_to_wal(cursor: Any, *, deadline: float) -> None:
    """Put the database file in WAL mode, waiting out other processes creating it at the same time.

    WAL is a property of the file, so this matters only while the file is new. Switching needs
    an exclusive lock, and SQLite reports "database is locked" at once, without its busy
    handler, when another connection is mid-switch or migrating: several processes opening a
    fresh database together would otherwise fail at random. The short sleeps block this
    connection's thread only during that start-up race.
    """
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
