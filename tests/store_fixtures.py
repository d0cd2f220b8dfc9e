"""Fixtures for store tests: a fresh database per test on SQLite and on PostgreSQL.

The PostgreSQL variant creates (and drops) its own database on the server named by
ARTICLEBOT_TEST_PG (default: the team's 127.0.0.1:5432, trust auth), so parallel test
sessions never share tables; it skips with a reason when no server answers (a laptop).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from bot.store import Store

PG_ADMIN_URL = os.environ.get("ARTICLEBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


class FakeClock:
    """Time that moves only when a test says so (no sleeping, no wall-clock flakiness)."""

    def __init__(self, start: datetime = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _libpq_dsn(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@cache
def _postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None if it can."""
    try:
        with psycopg.connect(_libpq_dsn(PG_ADMIN_URL), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).host}: {type(exc).__name__}"
    return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, make_settings) -> Iterator[str]:
    """A URL to an empty database; SQLite lives in the test's data dir, as Settings puts it."""
    if request.param == "sqlite":
        yield make_settings().resolved_database_url
        return
    reason = _postgres_unreachable()
    if reason:
        pytest.skip(reason)
    name = f"articlebot_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(_libpq_dsn(PG_ADMIN_URL), autocommit=True)
    try:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()


@pytest.fixture
async def store(db_url: str, clock: FakeClock) -> AsyncIterator[Store]:
    opened = await Store.open(db_url, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()


async def _race_once(url: str, event_id: str, ready: Path, go: Path) -> None:
    """One competitor in the cross-process race: open, say ready, wait for go, record."""
    store = await Store.open(url)
    try:
        ready.touch()
        while not go.exists():
            await asyncio.sleep(0.005)
        job = await store.record_request(
            event_id=event_id,
            channel="C-RACE",
            ts=f"{os.getpid()}.1",
            kind="app_mention",
            payload={"pid": os.getpid()},
            team="T1",
            user="U-RACE",
            thread_ts="100.1",
        )
        print("won" if job is not None else "lost")
    finally:
        await store.close()


def race_main() -> None:
    """Entry point for `python -c`: argv = url, event id, ready file, go file."""
    url, event_id, ready, go = sys.argv[1:5]
    asyncio.run(_race_once(url, event_id, Path(ready), Path(go)))


async def _hold_once(url: str, job_id: int, ready: Path) -> None:
    """A live worker: take a liveness lock, claim the job, say which worker we are, then wait
    (until killed) without ever renewing the lease."""
    store = await Store.open(url)
    worker = await store.register_worker(f"holder:{os.getpid()}")
    claimed = await store.claim_job(job_id, worker=worker, lease_s=5)
    ready.write_text(worker if claimed is not None else "")
    await asyncio.Event().wait()


def hold_main() -> None:
    """Entry point for `python -c`: argv = url, job id, ready file."""
    url, job_id, ready = sys.argv[1:4]
    asyncio.run(_hold_once(url, int(job_id), Path(ready)))
