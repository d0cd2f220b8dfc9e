"""Which job workers are alive: a lock each live process holds, that the OS frees when it dies.

A job's lease (30 s) is the last resort; waiting for it makes a restarted bot sit on its dead
predecessor's jobs for most of a minute. A heartbeat would make death visible sooner, but a
live process whose event loop stalls for a few seconds (a CPU-starved host, a long write) would
look dead and lose its job to another replica: a duplicate reply. A lock held by the kernel or
the database server has no such false positive: it is held exactly as long as the process (or
its database session) lives, and kill -9 frees it at once.

- SQLite (one host): each worker holds `flock` on its own file next to the database file.
  Another process that can take that lock knows the worker is gone.
- PostgreSQL (replicas on many hosts): each worker holds a session advisory lock on a
  dedicated connection; `pg_locks` tells everyone which workers hold theirs. The server frees
  the lock when the session ends (the kernel closes a killed process's socket).
- Anything else (in-memory SQLite, no `fcntl`): liveness is unknown and leases decide alone.

Answers are three-valued: alive (never take its jobs), dead (take them now), unknown (wait for
the lease). A worker id says whether it holds a lock (it ends in `~file` or `~pg`): an id
without one (an older version during a rolling upgrade, a test's "w1") is "unknown", never
"dead", so only a worker that really held a lock can be declared dead.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.engine import sqlite_file

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

Liveness = Literal["alive", "dead", "unknown"]

# Advisory lock namespace for workers ("ABOT" as ASCII); the second key identifies the worker.
_PG_NAMESPACE = 0x41424F54


def _key(worker: str) -> int:
    """A stable non-negative 31-bit key for a worker id (PostgreSQL lock key, file name)."""
    return int.from_bytes(hashlib.sha256(worker.encode()).digest()[:4], "big") & 0x7FFFFFFF


class Presence:
    """Lease-only fallback: nobody's liveness is known."""

    tag = ""

    async def register(self, name: str) -> str | None:
        """Start holding a liveness lock; returns the worker id to claim jobs with, or None if
        that name's key is taken (try another name)."""
        return name

    async def check(self, workers: Iterable[str]) -> dict[str, Liveness]:
        return {
            worker: self._probe(worker) if self._tagged(worker) else "unknown" for worker in workers
        }

    def _tagged(self, worker: str) -> bool:
        return bool(self.tag) and worker.endswith(self.tag)

    def _probe(self, worker: str) -> Liveness:
        return "unknown"

    async def forget(self, worker: str) -> None:
        """Clean up after a dead worker whose jobs were taken over (nothing to do here)."""

    async def refresh(self) -> None:
        """Make sure our own locks are still held; take them again if they were lost."""

    async def close(self) -> None:
        """Stop holding our locks (graceful shutdown: we are no longer alive for others)."""


class FilePresence(Presence):
    """`flock` files in a directory next to the SQLite database."""

    tag = "~file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: dict[str, int] = {}

    def _path(self, worker: str) -> Path:
        return self.directory / f"{_key(worker):08x}.lock"

    async def register(self, name: str) -> str | None:
        assert fcntl is not None
        worker = name + self.tag
        self.directory.mkdir(parents=True, exist_ok=True)
        self._clean_up()
        target = self._path(worker)
        if target.exists():
            return None  # key taken (a live worker, or a dead one not yet cleaned up)
        # Lock a temporary file, then rename it into place: the file never exists unlocked,
        # so nobody can mistake a worker that is just starting for a dead one.
        temporary = self.directory / f".{target.name}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, worker.encode())  # for a person looking at the directory
        os.replace(temporary, target)
        self._held[worker] = fd
        return worker

    def _clean_up(self) -> None:
        """Delete the lock files of workers that died without cleaning up."""
        for path in self.directory.glob("*.lock"):
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                path.unlink(missing_ok=True)  # nobody holds it: its worker is gone
            except OSError:
                pass
            finally:
                os.close(fd)

    def _probe(self, worker: str) -> Liveness:
        assert fcntl is not None
        if worker in self._held:
            return "alive"
        try:
            fd = os.open(self._path(worker), os.O_RDONLY)
        except FileNotFoundError:
            # Workers create their file before claiming anything; a claimed job without
            # one belongs to a worker whose file was cleaned up after it died.
            return "dead"
        except OSError:
            return "unknown"
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return "alive"
        except OSError:
            return "unknown"
        finally:
            os.close(fd)  # also drops the shared lock, if we got it
        return "dead"

    async def forget(self, worker: str) -> None:
        if self._tagged(worker) and worker not in self._held and self._probe(worker) == "dead":
            self._path(worker).unlink(missing_ok=True)

    async def close(self) -> None:
        for worker, fd in self._held.items():
            self._path(worker).unlink(missing_ok=True)
            os.close(fd)
        self._held.clear()


class PostgresPresence(Presence):
    """Session advisory locks on one dedicated connection; `pg_locks` shows who holds theirs."""

    tag = "~pg"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._held: set[str] = set()
        self._lock = asyncio.Lock()

    async def register(self, name: str) -> str | None:
        worker = name + self.tag
        async with self._lock:
            if self._conn is None:
                self._conn = await self._open_lock_connection()
            got = await self._conn.scalar(
                text("SELECT pg_try_advisory_lock(:ns, :key)"),
                {"ns": _PG_NAMESPACE, "key": _key(worker)},
            )
        if not got:
            return None
        self._held.add(worker)
        return worker

    async def check(self, workers: Iterable[str]) -> dict[str, Liveness]:
        wanted = [worker for worker in workers if self._tagged(worker)]
        found: dict[str, Liveness] = {worker: "unknown" for worker in workers}
        if not wanted:
            return found
        query = text(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = :ns AND objsubid = 2"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        async with self._engine.connect() as conn:
            held = {int(row.objid) for row in await conn.execute(query, {"ns": _PG_NAMESPACE})}
        for worker in wanted:
            found[worker] = "alive" if worker in self._held or _key(worker) in held else "dead"
        return found

    async def refresh(self) -> None:
        """The lock connection can drop while we live (a server restart, a network cut), and
        the locks with it: others would take our jobs. Called every sweep (about a second), so
        that window stays short: check the connection, and on a new one take the locks again."""
        async with self._lock:
            if not self._held:
                return
            if self._conn is not None:
                try:
                    await self._conn.scalar(text("SELECT 1"))
                    return
                except Exception:
                    log.warning("the connection holding this worker's liveness lock dropped")
                    await self._discard_connection()
            self._conn = await self._open_lock_connection()
            for worker in self._held:
                got = await self._conn.scalar(
                    text("SELECT pg_try_advisory_lock(:ns, :key)"),
                    {"ns": _PG_NAMESPACE, "key": _key(worker)},
                )
                if not got:
                    log.error("worker %s could not take its liveness lock again", worker)

    async def _open_lock_connection(self) -> AsyncConnection:
        conn = await self._engine.connect()
        # Autocommit: the session lock must not live inside a transaction we'd close.
        return await conn.execution_options(isolation_level="AUTOCOMMIT")

    async def _discard_connection(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.invalidate()
                await self._conn.close()
            except Exception:
                pass
            self._conn = None

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()  # ends the session: its locks go with it
                self._conn = None
        self._held.clear()


def presence_for(engine: AsyncEngine) -> Presence:
    """The liveness mechanism this database supports."""
    if engine.dialect.name == "postgresql":
        return PostgresPresence(engine)
    database = sqlite_file(engine.url)
    if database is None or fcntl is None:
        return Presence()
    return FilePresence(database.expanduser().with_name(database.name + ".workers"))
