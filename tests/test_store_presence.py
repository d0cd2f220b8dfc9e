"""Jobs of a dead worker are taken over at once; a live worker's jobs are never taken.

Liveness is a lock the worker's process holds (flock next to SQLite, an advisory lock on
PostgreSQL), so these tests kill real processes and look at what another store may claim.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from bot.metrics import LEASE_TAKEOVERS
from bot.store import Store
from tests.shared_data import REPO_ROOT

if TYPE_CHECKING:
    from tests.store_fixtures import FakeClock

pytest_plugins = ["tests.store_fixtures"]


async def _job(store: Store, ts: str = "1700000000.000100"):
    job = await store.record_request(
        event_id=f"Ev{ts}", channel="C1", ts=ts, kind="summary", payload={"text": "x"},
        team="T1", user="U1", thread_ts=ts,
    )  # fmt: skip
    assert job is not None
    return job


def _takeovers(reason: str) -> float:
    return LEASE_TAKEOVERS.labels(reason=reason)._value.get()


def _start_holder(db_url: str, job_id: int, ready: Path) -> subprocess.Popen[bytes]:
    code = "from tests.store_fixtures import hold_main; hold_main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, db_url, str(job_id), str(ready)],
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
    )


async def _wait_ready(holder: subprocess.Popen[bytes], ready: Path) -> str:
    deadline = time.monotonic() + 60  # a hang guard, not a speed check
    while not ready.exists() or not ready.read_text():
        assert holder.poll() is None, holder.stderr.read().decode() if holder.stderr else ""
        assert time.monotonic() < deadline, "the holder never claimed the job"
        await asyncio.sleep(0.02)
    return ready.read_text()


async def test_live_workers_job_is_never_taken_even_after_its_lease(
    store: Store, clock: FakeClock, db_url: str, tmp_path: Path
) -> None:
    job = await _job(store)
    ready = tmp_path / "ready"
    holder = _start_holder(db_url, job.id, ready)
    try:
        owner = await _wait_ready(holder, ready)
        me = await store.register_worker("replica-b")
        assert owner != me
        for _ in range(2):  # a second look, after the lease ran out: still the holder's
            assert await store.claim_job(job.id, worker=me, lease_s=30) is None
            assert await store.unfinished_jobs() == []
            current = await store.get_job(job.id)
            assert current is not None and current.worker == owner
            # The holder's lease was set by its own (real) clock: jump well past it.
            clock.now = datetime.now(UTC) + timedelta(days=1)
    finally:
        holder.kill()
        holder.wait(timeout=30)


async def test_killed_workers_job_is_taken_over_without_waiting_for_its_lease(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    job = await _job(store)
    other = await _job(store, ts="1700000000.000200")  # stays pending: never taken over
    ready = tmp_path / "ready"
    holder = _start_holder(db_url, job.id, ready)
    try:
        owner = await _wait_ready(holder, ready)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    me = await store.register_worker("restarted")
    before = _takeovers("dead_owner")
    # The clock does not move: the lease (5 s) is still running, the owner is gone.
    deadline = time.monotonic() + 30  # PostgreSQL ends the session when it sees the socket close
    while [j.id for j in await store.unfinished_jobs()] != [job.id, other.id]:
        assert time.monotonic() < deadline, "the dead worker's job never became claimable"
        await asyncio.sleep(0.05)
    taken = await store.claim_job(job.id, worker=me, lease_s=30)
    assert taken is not None and taken.worker == me and taken.attempts == 2
    assert _takeovers("dead_owner") == before + 1
    assert await store.claim_job(job.id, worker=owner, lease_s=30) is None
    third = await Store.open(db_url)
    try:  # a third process racing for it: ours now, and we are alive
        assert (
            await third.claim_job(job.id, worker=await third.register_worker("c"), lease_s=30)
            is None
        )
    finally:
        await third.close()


async def test_a_closed_store_frees_its_worker_at_once(db_url: str) -> None:
    first, second = await Store.open(db_url), await Store.open(db_url)
    try:
        job = await _job(first)
        owner = await first.register_worker("graceful")
        assert await first.claim_job(job.id, worker=owner, lease_s=600) is not None
        me = await second.register_worker("next")
        assert await second.claim_job(job.id, worker=me, lease_s=600) is None
        await first.close()
        taken = await second.claim_job(job.id, worker=me, lease_s=600)
        assert taken is not None and taken.worker == me
    finally:
        await first.close()
        await second.close()


async def test_worker_without_a_liveness_lock_falls_back_to_its_lease(
    store: Store, clock: FakeClock
) -> None:
    """Ids without a lock (an older version in a rolling upgrade) are never declared dead."""
    job = await _job(store)
    assert await store.claim_job(job.id, worker="old-version:1", lease_s=30) is not None
    me = await store.register_worker("new-version")
    assert await store.claim_job(job.id, worker=me, lease_s=30) is None
    before = _takeovers("lease_expired")
    clock.advance(31)
    assert await store.claim_job(job.id, worker=me, lease_s=30) is not None
    assert _takeovers("lease_expired") == before + 1


async def test_queue_stats_count_unfinished_jobs(store: Store, clock: FakeClock) -> None:
    assert await store.queue_stats() == (0, None)
    first = await _job(store)
    clock.advance(5)
    second = await _job(store, ts="1700000000.000200")
    assert await store.queue_stats() == (2, first.created_at)
    await store.finish_job(first.id, status="done")
    assert await store.queue_stats() == (1, second.created_at)


async def test_a_dropped_lock_connection_is_noticed_and_the_lock_taken_again(
    db_url: str,
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("only PostgreSQL holds the lock on a connection that can drop")
    first, second = await Store.open(db_url), await Store.open(db_url)
    try:
        owner = await first.register_worker("survivor")
        job = await _job(first)
        assert await first.claim_job(job.id, worker=owner, lease_s=600) is not None
        async with second.engine.connect() as conn:  # what a server restart does to it
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND classid = :ns AND granted AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"ns": 0x41424F54},
            )
        await first.refresh_worker()  # what the runner's sweeper does every second
        me = await second.register_worker("replica-b")
        assert await second.claim_job(job.id, worker=me, lease_s=600) is None
    finally:
        await first.close()
        await second.close()


async def test_unfinished_jobs_leaves_out_what_the_caller_already_runs(store: Store) -> None:
    first, second = await _job(store), await _job(store, ts="1700000000.000200")
    assert [j.id for j in await store.unfinished_jobs(exclude={first.id})] == [second.id]
    assert await store.unfinished_jobs(exclude={first.id, second.id}) == []
    [again] = await store.unfinished_jobs(exclude={second.id})
    assert again == first  # the full job, payload included


async def test_a_burst_of_claims_gives_each_job_to_exactly_one_claimer(store: Store) -> None:
    jobs = [await _job(store, ts=f"1700000000.{i:06d}") for i in range(20)]
    claims = [store.claim_job(j.id, worker=w, lease_s=30) for j in jobs for w in ("a", "b")]
    claims += [store.claim_job(jobs[0].id, worker="a", lease_s=30)]  # asked twice by one
    results = await asyncio.gather(*claims)
    won = [r for r in results if r is not None]
    assert sorted(j.id for j in won) == sorted(j.id for j in jobs)
    assert all(j.status == "running" and j.attempts == 1 and j.payload == {"text": "x"}
               for j in won)  # fmt: skip
    for job in won:
        current = await store.get_job(job.id)
        assert current is not None and current.worker == job.worker
