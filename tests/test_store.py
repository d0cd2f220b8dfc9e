"""The store on SQLite and PostgreSQL: caches, exactly-once intake, jobs, threads, usage, schema."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.domain.article import Article
from bot.domain.turn import Turn
from bot.domain.usage import CallRecord, Usage
from bot.store import Store
from bot.store.engine import async_url, create_engine, switch_to_wal, writer
from bot.store.migrations import LATEST_VERSION, Step, current_version, migrate
from tests.shared_data import REPO_ROOT

if TYPE_CHECKING:
    from tests.store_fixtures import FakeClock

# The `db_url` (SQLite + PostgreSQL), `store` and `clock` fixtures.
pytest_plugins = ["tests.store_fixtures"]

ARTICLE = Article.build(
    ["The harbour council approved the tidal pilot on Tuesday.", "Work starts in May."],
    title="Tidal pilot approved",
    url="https://news.example/tidal",
    source_kind="html",
)
OTHER = Article.build(["A different story about ferries.", "Nothing about tides."], title="Ferries")


async def _request(
    store: Store,
    *,
    event_id: str | None = "Ev1",
    channel: str = "C1",
    ts: str = "1700000000.000100",
    user: str | None = "U1",
    kind: str = "app_mention",
):
    return await store.record_request(
        event_id=event_id,
        channel=channel,
        ts=ts,
        kind=kind,
        payload={"text": "summarise <https://news.example/tidal>", "files": [], "n": 1},
        team="T1",
        user=user,
        thread_ts=ts,
    )


# --- article cache ---------------------------------------------------------------------------


async def test_article_round_trip_by_hash_and_url(store: Store) -> None:
    assert await store.get_article(ARTICLE.content_hash) is None
    assert await store.get_article_for_url("https://news.example/tidal") is None

    await store.put_article(ARTICLE, normalized_url="https://news.example/tidal")
    assert await store.get_article(ARTICLE.content_hash) == ARTICLE
    assert await store.get_article_for_url("https://news.example/tidal") == ARTICLE

    # The same text reached through another URL is stored once and found through both.
    await store.put_article(ARTICLE, normalized_url="https://mirror.example/t")
    assert await store.get_article_for_url("https://mirror.example/t") == ARTICLE

    # A URL whose page changed points at the new text; the old text stays cached by hash.
    await store.put_article(OTHER, normalized_url="https://news.example/tidal")
    assert await store.get_article_for_url("https://news.example/tidal") == OTHER
    assert await store.get_article(ARTICLE.content_hash) == ARTICLE


async def test_long_urls_are_stored(store: Store) -> None:
    url = "https://news.example/" + "a" * 8000
    await store.put_article(ARTICLE, normalized_url=url)
    assert await store.get_article_for_url(url) == ARTICLE
    assert await store.get_article_for_url(url + "b") is None


async def test_url_lookup_respects_max_age(store: Store, clock: FakeClock) -> None:
    await store.put_article(ARTICLE, normalized_url="https://news.example/tidal")
    clock.advance(600)
    url = "https://news.example/tidal"
    assert await store.get_article_for_url(url, max_age_s=900) == ARTICLE
    assert await store.get_article_for_url(url, max_age_s=300) is None
    assert await store.get_article_for_url(url) == ARTICLE  # no limit

    await store.put_article(ARTICLE, normalized_url=url)  # fetched again: fresh
    assert await store.get_article_for_url(url, max_age_s=300) == ARTICLE


async def test_article_without_hash_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="content hash"):
        await store.put_article(Article(paragraphs=("No hash here.",)))


async def test_result_cache(store: Store) -> None:
    key = f"{ARTICLE.content_hash}:summary-v3:gpt-test:summary"
    assert await store.get_result(key) is None
    await store.put_result(key, '{"tldr": "one"}')
    await store.put_result(key + "x", '{"tldr": "other"}')
    assert await store.get_result(key) == '{"tldr": "one"}'
    await store.put_result(key, '{"tldr": "two"}')
    assert await store.get_result(key) == '{"tldr": "two"}'
    assert await store.get_result(key + "x") == '{"tldr": "other"}'


# --- usage -----------------------------------------------------------------------------------


def _call(prompt: int, completion: int, cached: int = 0) -> CallRecord:
    usage = Usage(calls=1, prompt_tokens=prompt, completion_tokens=completion, cached_tokens=cached)
    return CallRecord(task="summary", model="m", usage=usage, latency_ms=12.5, mode="json_schema")


async def test_usage_totals_by_team_channel_and_user(store: Store) -> None:
    await store.record_usage(_call(100, 10, 5), team="T1", channel="C1", user="U1")
    await store.record_usage(_call(200, 20), team="T1", channel="C2", user="U1")
    await store.record_usage(_call(300, 30), team="T2", channel="C2", user="U2")
    await store.record_usage(_call(7, 1))  # the CLI: no Slack context

    by_team = await store.usage_totals("team")
    assert by_team == {
        "T1": Usage(calls=2, prompt_tokens=300, completion_tokens=30, cached_tokens=5),
        "T2": Usage(calls=1, prompt_tokens=300, completion_tokens=30),
        "": Usage(calls=1, prompt_tokens=7, completion_tokens=1),
    }
    by_channel = await store.usage_totals("channel")
    assert by_channel["C2"] == Usage(calls=2, prompt_tokens=500, completion_tokens=50)
    assert by_channel["C1"].cached_tokens == 5
    by_user = await store.usage_totals("user")
    assert by_user["U1"] == Usage(calls=2, prompt_tokens=300, completion_tokens=30, cached_tokens=5)
    assert set(by_user) == {"U1", "U2", ""}
    with pytest.raises(ValueError):
        await store.usage_totals("model")  # type: ignore[arg-type]


# --- exactly-once intake ---------------------------------------------------------------------


async def test_request_becomes_a_pending_job(store: Store, clock: FakeClock) -> None:
    job = await _request(store)
    assert job is not None
    assert (job.kind, job.channel, job.ts, job.thread_ts, job.team, job.user) == (
        "app_mention",
        "C1",
        "1700000000.000100",
        "1700000000.000100",
        "T1",
        "U1",
    )
    assert job.payload == {"text": "summarise <https://news.example/tidal>", "files": [], "n": 1}
    assert (job.status, job.attempts, job.created_at) == ("pending", 0, clock.now)
    assert await store.get_job(job.id) == job


async def test_retried_delivery_with_same_event_id_is_dropped(store: Store) -> None:
    first = await _request(store, event_id="Ev1", ts="1.1")
    assert first is not None
    assert await _request(store, event_id="Ev1", ts="1.1") is None  # Slack retry
    assert await _request(store, event_id="Ev1", ts="9.9") is None  # same event id, odd ts
    assert [j.id for j in await store.unfinished_jobs()] == [first.id]


async def test_same_message_as_mention_and_message_is_dropped(store: Store) -> None:
    first = await _request(store, event_id="EvMention", ts="2.2", kind="app_mention")
    assert first is not None
    assert await _request(store, event_id="EvMessage", ts="2.2", kind="message") is None
    # Same ts in another channel is another message.
    other = await _request(store, event_id="EvOther", channel="C2", ts="2.2")
    assert other is not None
    assert [j.id for j in await store.unfinished_jobs()] == [first.id, other.id]


async def test_requests_without_event_id_dedupe_on_channel_and_ts(store: Store) -> None:
    # Slash commands and interactions have no event id: NULLs must not collide with each other.
    a = await _request(store, event_id=None, ts="3.1")
    b = await _request(store, event_id=None, ts="3.2")
    assert a is not None and b is not None and a.id != b.id
    assert await _request(store, event_id=None, ts="3.1") is None
    assert len(await store.unfinished_jobs()) == 2


async def test_a_burst_on_one_store_is_deduplicated_within_the_batch(store: Store) -> None:
    """Requests arriving together share one transaction; repeats inside it still lose."""
    outcomes = await asyncio.gather(
        *(_request(store, event_id=f"EvB{i % 7}", ts=f"6.{i % 5}") for i in range(30)),
        *(_request(store, event_id=f"EvC{i}", ts=f"9.{i}") for i in range(30)),
    )
    winners = [job for job in outcomes if job is not None]
    keys = {(j.channel, j.ts) for j in winners}
    assert len(keys) == len(winners) == 5 + 30
    assert {j.id for j in await store.unfinished_jobs()} == {j.id for j in winners}


@pytest.mark.parametrize("same_key", ["event_id", "channel_ts"])
async def test_concurrent_deliveries_create_exactly_one_job(db_url: str, same_key: str) -> None:
    """20 racers, each with its own engine (as separate processes would have), one key."""
    stores = [await Store.open(db_url) for _ in range(20)]
    start = asyncio.Event()

    async def deliver(i: int, racer: Store):
        await start.wait()
        if same_key == "event_id":
            return await _request(racer, event_id="EvRace", ts=f"5.{i}")
        return await _request(racer, event_id=f"Ev{i}", ts="5.0")

    try:
        tasks = [asyncio.create_task(deliver(i, s)) for i, s in enumerate(stores)]
        await asyncio.sleep(0)
        start.set()
        outcomes = await asyncio.gather(*tasks)
        winners = [job for job in outcomes if job is not None]
        assert len(winners) == 1
        assert [j.id for j in await stores[0].unfinished_jobs()] == [winners[0].id]
    finally:
        for s in stores:
            await s.close()


@pytest.mark.slow  # starts processes
def test_concurrent_processes_create_exactly_one_job(db_url: str, tmp_path: Path) -> None:
    """Separate OS processes on the same database: still exactly one job."""
    asyncio.run(_close(Store.open(db_url)))  # schema first, so racers only do intake
    go = tmp_path / "go"
    procs, ready = [], []
    for i in range(6):
        ready.append(tmp_path / f"ready{i}")
        code = "from tests.store_fixtures import race_main; race_main()"
        argv = [sys.executable, "-c", code, db_url, "EvProc", str(ready[-1]), str(go)]
        procs.append(
            subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        )
    try:
        deadline = time.monotonic() + 120  # a hang guard, not a speed check
        while not all(r.exists() for r in ready):
            assert all(p.poll() is None for p in procs), "a racer died before the start"
            assert time.monotonic() < deadline, "racers never got ready"
            time.sleep(0.01)
        go.touch()
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert all(p.returncode == 0 for p in procs), [err.decode()[-500:] for _, err in outputs]
    results = sorted(out.decode().strip() for out, _ in outputs)
    assert results == ["lost"] * 5 + ["won"]

    async def jobs() -> int:
        async with await Store.open(db_url) as s:
            return len(await s.unfinished_jobs())

    assert asyncio.run(jobs()) == 1


async def _close(opening) -> None:
    await (await opening).close()


# --- jobs --------------------------------------------------------------------------------------


async def test_claim_lease_and_finish(store: Store, clock: FakeClock) -> None:
    job = await _request(store)
    assert job is not None
    first = await store.claim_job(job.id, worker="w1", lease_s=30)
    assert first is not None
    assert (first.status, first.worker, first.attempts) == ("running", "w1", 1)
    assert first.lease_until == clock.now + timedelta(seconds=30)

    assert await store.claim_job(job.id, worker="w2", lease_s=30) is None  # lease held
    assert await store.unfinished_jobs() == []

    clock.advance(31)  # w1 died: its lease runs out
    assert [j.id for j in await store.unfinished_jobs()] == [job.id]
    second = await store.claim_job(job.id, worker="w2", lease_s=30)
    assert second is not None and (second.worker, second.attempts) == ("w2", 2)

    await store.finish_job(job.id, status="done")
    clock.advance(3600)
    assert await store.claim_job(job.id, worker="w3", lease_s=30) is None
    assert await store.unfinished_jobs() == []
    # A late report from the first worker does not overwrite the outcome.
    await store.finish_job(job.id, status="failed", note="w1 timed out")
    done = await store.get_job(job.id)
    assert done is not None and (done.status, done.note, done.lease_until) == ("done", "", None)


async def test_finish_records_note_and_rejects_unknown_status(store: Store) -> None:
    job = await _request(store)
    assert job is not None
    await store.finish_job(job.id, status="expired", note="older than 1 hour at restart")
    expired = await store.get_job(job.id)
    assert expired is not None
    assert (expired.status, expired.note) == ("expired", "older than 1 hour at restart")
    assert await store.claim_job(job.id, worker="w", lease_s=5) is None
    with pytest.raises(ValueError):
        await store.finish_job(job.id, status="running")  # type: ignore[arg-type]
    assert await store.claim_job(10_000, worker="w", lease_s=5) is None  # no such job


async def test_unfinished_jobs_oldest_first(store: Store, clock: FakeClock) -> None:
    jobs = []
    for i in range(4):
        job = await _request(store, event_id=f"E{i}", ts=f"7.{i}")
        assert job is not None
        jobs.append(job)
        clock.advance(10)
    await store.finish_job(jobs[0].id, status="done")
    await store.claim_job(jobs[2].id, worker="w", lease_s=100)  # live lease: not unfinished
    assert [j.id for j in await store.unfinished_jobs()] == [jobs[1].id, jobs[3].id]
    clock.advance(101)
    assert [j.id for j in await store.unfinished_jobs()] == [jobs[1].id, jobs[2].id, jobs[3].id]


async def test_count_requests_window(store: Store, clock: FakeClock) -> None:
    start = clock.now
    for i, minutes in enumerate([0, 30, 50, 90]):
        clock.now = start + timedelta(minutes=minutes)
        assert await _request(store, event_id=f"Q{i}", ts=f"8.{i}") is not None
    assert await _request(store, event_id="Q0", ts="8.0") is None  # a repeat is not a request
    assert await _request(store, event_id="V", ts="8.9", user="U2") is not None

    now = start + timedelta(minutes=95)
    assert await store.count_requests(team="T1", user="U1", since=now - timedelta(hours=1)) == 2
    assert await store.count_requests(team="T1", user="U1", since=start) == 4
    assert (
        await store.count_requests(team="T1", user="U1", since=start + timedelta(minutes=30)) == 3
    )
    assert await store.count_requests(team="T1", user="U2", since=start) == 1
    assert await store.count_requests(team="T1", user="nobody", since=start) == 0
    assert await _request(store, event_id="R", ts="8.10", kind="notice") is not None
    assert await store.count_requests(team="T1", user="U1", since=start) == 5
    assert (
        await store.count_requests(team="T1", user="U1", since=start, exclude_kinds=("notice",))
        == 4
    )


async def test_extend_lease_and_reply_ts(store: Store, clock: FakeClock) -> None:
    job = await _request(store)
    assert job is not None and job.reply_ts is None
    await store.claim_job(job.id, worker="w1", lease_s=30)
    clock.advance(25)
    assert await store.extend_lease(job.id, worker="w1", lease_s=30)
    assert not await store.extend_lease(job.id, worker="w2", lease_s=30), "not w2's job"
    clock.advance(25)  # 50 s after the claim, 25 s after the renewal: still held
    assert await store.claim_job(job.id, worker="w2", lease_s=30) is None
    await store.set_job_reply(job.id, "1700000001.000200")
    resumed = await store.get_job(job.id)
    assert resumed is not None and resumed.reply_ts == "1700000001.000200"
    await store.finish_job(job.id, status="done")
    assert not await store.extend_lease(job.id, worker="w1", lease_s=30)


async def test_released_job_is_resumable_at_once(store: Store) -> None:
    job = await _request(store)
    assert job is not None
    await store.claim_job(job.id, worker="w1", lease_s=600)
    await store.release_job(job.id, worker="w2")  # not w2's: no effect
    assert await store.unfinished_jobs() == []
    await store.release_job(job.id, worker="w1")
    assert [j.id for j in await store.unfinished_jobs()] == [job.id]
    again = await store.claim_job(job.id, worker="w3", lease_s=600)
    assert again is not None and again.attempts == 2


# --- threads and turns -----------------------------------------------------------------------


async def test_thread_state_survives_restart(db_url: str, clock: FakeClock) -> None:
    async with await Store.open(db_url, clock=clock) as first:
        await first.set_thread_article(
            "C1", "10.1", team="T1", content_hash="h1", summary_ts="10.2"
        )
        await first.add_turn(
            "C1", "10.1", team="T1", question="Who?", answer="The council.", content_hash="h1"
        )
    async with await Store.open(db_url, clock=clock) as again:
        state = await again.get_thread("C1", "10.1", team="T1")
        assert state is not None
        assert (state.content_hash, state.summary_ts, state.created_at) == ("h1", "10.2", clock.now)
        turns = await again.get_turns("C1", "10.1", team="T1")
        assert turns == [Turn(question="Who?", answer="The council.")]
        assert await again.get_thread("C1", "other", team="T1") is None


async def test_switching_article_scopes_turns(store: Store, clock: FakeClock) -> None:
    await store.set_thread_article("C1", "11.1", team="T1", content_hash="hA", summary_ts="11.2")
    await store.add_turn("C1", "11.1", team="T1", question="qA", answer="aA", content_hash="hA")
    # Same article again without a summary ts keeps the recorded summary.
    await store.set_thread_article("C1", "11.1", team="T1", content_hash="hA")
    state = await store.get_thread("C1", "11.1", team="T1")
    assert state is not None and state.summary_ts == "11.2"

    clock.advance(5)
    await store.set_thread_article("C1", "11.1", team="T1", content_hash="hB")
    state = await store.get_thread("C1", "11.1", team="T1")
    assert state is not None
    assert (state.content_hash, state.summary_ts) == ("hB", None)
    assert state.updated_at == state.created_at + timedelta(seconds=5)
    assert await store.get_turns("C1", "11.1", team="T1") == []

    await store.add_turn("C1", "11.1", team="T1", question="qB", answer="aB", content_hash="hB")
    assert await store.get_turns("C1", "11.1", team="T1") == [Turn(question="qB", answer="aB")]
    await store.set_thread_article("C1", "11.1", team="T1", content_hash="hA", summary_ts="11.9")
    assert await store.get_turns("C1", "11.1", team="T1") == [Turn(question="qA", answer="aA")]
    # Another thread's turns never leak in.
    await store.set_thread_article("C2", "11.1", team="T1", content_hash="hA")
    assert await store.get_turns("C2", "11.1", team="T1") == []


async def test_turns_limit_and_order(store: Store) -> None:
    assert await store.get_turns("C1", "12.1", team="T1") == []  # unknown thread
    await store.set_thread_article("C1", "12.1", team="T1", content_hash="h")
    for i in range(15):
        await store.add_turn(
            "C1", "12.1", team="T1", question=f"q{i}", answer=f"a{i}", content_hash="h"
        )
    recent = await store.get_turns("C1", "12.1", team="T1")
    assert [t.question for t in recent] == [f"q{i}" for i in range(5, 15)]
    assert [t.answer for t in await store.get_turns("C1", "12.1", team="T1", limit=3)] == [
        "a12",
        "a13",
        "a14",
    ]
    assert await store.get_turns("C1", "12.1", team="T1", limit=0) == []


# --- schema ----------------------------------------------------------------------------------


async def test_fresh_database_is_at_latest_version(store: Store) -> None:
    async with store.engine.connect() as conn:
        assert await conn.run_sync(current_version) == LATEST_VERSION


async def test_upgrade_from_v1_keeps_data(db_url: str) -> None:
    """A database left by v1 (no jobs.note, no jobs.reply_ts) is upgraded in place, data intact."""
    engine = create_engine(db_url)
    async with writer(engine).begin() as conn:
        assert await conn.run_sync(migrate, target=1) == 1
        # v1's jobs table had no note column (v1 created today's tables, so remove it).
        await conn.execute(text("ALTER TABLE jobs DROP COLUMN note"))
        await conn.execute(text("ALTER TABLE jobs DROP COLUMN reply_ts"))
        await conn.execute(text("DROP TABLE feedback"))  # v5 adds it
        await conn.execute(text("DROP TABLE assistant_threads"))  # v6 adds it
        await conn.execute(text("DROP TABLE workspaces"))  # v7 adds it
        await conn.execute(
            text(
                'INSERT INTO jobs (kind, payload, channel, thread_ts, ts, team, "user", status,'
                " attempts, created_at) VALUES ('message', '{\"k\": \"v\"}', 'C1', '1.1', '1.1',"
                " 'T1', 'U1', 'pending', 0, :at)"
            ),
            {"at": "2026-01-01 00:00:00"},
        )
    async with engine.connect() as conn:
        assert "note" not in await conn.run_sync(_columns, "jobs")
    await engine.dispose()

    async with await Store.open(db_url) as upgraded:
        async with upgraded.engine.connect() as conn:
            assert await conn.run_sync(current_version) == LATEST_VERSION == 7
            assert {"note", "reply_ts"} <= await conn.run_sync(_columns, "jobs")
            assert {"job_id", "user", "value", "team"} <= await conn.run_sync(_columns, "feedback")
        [old] = await upgraded.unfinished_jobs()
        assert (old.payload, old.note, old.user, old.reply_ts) == ({"k": "v"}, "", "U1", None)
        await upgraded.finish_job(old.id, status="failed", note="upgraded")
        finished = await upgraded.get_job(old.id)
        assert finished is not None and finished.note == "upgraded"


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


async def test_migration_steps_run_once_in_order_and_atomically(db_url: str) -> None:
    calls: list[str] = []

    def create_widgets(conn: Connection) -> None:
        calls.append("v1")
        conn.exec_driver_sql("CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT)")

    def add_colour(conn: Connection) -> None:
        calls.append("v2")
        conn.exec_driver_sql("ALTER TABLE widgets ADD COLUMN colour TEXT")

    def broken(conn: Connection) -> None:
        calls.append("v3")
        conn.exec_driver_sql("ALTER TABLE widgets ADD COLUMN weight INTEGER")
        raise RuntimeError("step failed half way")

    v1, v2, v3 = (
        Step(1, "widgets", create_widgets),
        Step(2, "colour", add_colour),
        Step(3, "x", broken),
    )
    engine = create_engine(db_url)
    wr = writer(engine)
    try:
        async with wr.begin() as conn:
            assert await conn.run_sync(migrate, [v1]) == 1
            await conn.execute(text("INSERT INTO widgets (id, name) VALUES (1, 'gear')"))
        async with wr.begin() as conn:
            assert await conn.run_sync(migrate, [v1, v2]) == 2
        async with wr.begin() as conn:
            assert await conn.run_sync(migrate, [v1, v2]) == 2  # nothing left to do
        assert calls == ["v1", "v2"]
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT name, colour FROM widgets"))).one()
        assert tuple(row) == ("gear", None)

        # A failing step leaves neither its DDL nor a version bump behind (SQLite too).
        with pytest.raises(RuntimeError, match="half way"):
            async with wr.begin() as conn:
                await conn.run_sync(migrate, [v1, v2, v3])
        async with engine.connect() as conn:
            assert await conn.run_sync(current_version) == 2
            assert await conn.run_sync(_columns, "widgets") == {"id", "name", "colour"}

        with pytest.raises(RuntimeError, match="newer than this articlebot"):
            async with wr.begin() as conn:
                await conn.run_sync(migrate, [v1])
        with pytest.raises(ValueError, match="numbered"):
            async with wr.begin() as conn:
                await conn.run_sync(migrate, [v2, v1])
    finally:
        await engine.dispose()


async def test_processes_opening_a_fresh_database_together(db_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(db_url) for _ in range(8)))
    try:
        for s in stores:
            async with s.engine.connect() as conn:
                assert await conn.run_sync(current_version) == LATEST_VERSION
        assert await _request(stores[3]) is not None
        assert len(await stores[5].unfinished_jobs()) == 1
    finally:
        for s in stores:
            await s.close()


class _LockedCursor:
    """A sqlite3 cursor whose WAL switch meets another process's lock `times` times."""

    def __init__(self, times: int, message: str = "database is locked") -> None:
        self.left, self.message, self.calls = times, message, 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise sqlite3.OperationalError(self.message)


def test_the_wal_switch_waits_out_a_lock_sqlite_reports_without_waiting() -> None:
    cursor = _LockedCursor(times=3)
    switch_to_wal(cursor, deadline=time.monotonic() + 5)
    assert cursor.calls == 4


def test_the_wal_switch_gives_up_at_the_busy_deadline_and_on_other_errors() -> None:
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        switch_to_wal(_LockedCursor(times=10**6), deadline=time.monotonic() + 0.05)
    other = _LockedCursor(times=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        switch_to_wal(other, deadline=time.monotonic() + 5)
    assert other.calls == 1


# --- SQLite specifics and URLs ---------------------------------------------------------------


async def test_sqlite_lives_in_data_dir_only(make_settings, tmp_path: Path, monkeypatch) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    settings = make_settings(data_dir=tmp_path / "deep" / "data")
    assert not settings.data_dir.exists()

    async with await Store.open(settings.resolved_database_url) as s:
        await s.put_article(ARTICLE, normalized_url="https://news.example/tidal")
        await _request(s)
        async with s.engine.connect() as conn:
            pragmas = [
                (await conn.exec_driver_sql(f"PRAGMA {p}")).scalar()
                for p in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
        assert pragmas[0] == "wal" and pragmas[1] == 1 and pragmas[2] > 0

    written = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert written and all(p.is_relative_to(settings.data_dir) for p in written)
    assert settings.data_dir / "articlebot.db" in written
    assert list(cwd.iterdir()) == []


async def test_sqlite_foreign_keys_are_enforced(make_settings) -> None:
    async with await Store.open(make_settings().resolved_database_url) as s:
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            async with s.engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO article_urls (url_hash, normalized_url, content_hash,"
                        " fetched_at) VALUES ('x', 'u', 'missing', '2026-01-01 00:00:00')"
                    )
                )


async def test_in_memory_sqlite_works() -> None:
    async with await Store.open("sqlite://") as s:
        await s.put_result("k", "v")
        assert await s.get_result("k") == "v"


def test_urls_get_async_drivers() -> None:
    assert async_url("sqlite:////data/a.db").drivername == "sqlite+aiosqlite"
    pg = async_url("postgres://bot:s3cret@db.internal:5432/articlebot")
    assert (pg.drivername, pg.host, pg.password, pg.database) == (
        "postgresql+psycopg",
        "db.internal",
        "s3cret",
        "articlebot",
    )
    assert async_url("postgresql://h/db").drivername == "postgresql+psycopg"
    assert async_url("postgresql+asyncpg://h/db").drivername == "postgresql+asyncpg"
    with pytest.raises(ValueError, match="unsupported"):
        async_url("mysql://h/db")


async def test_feedback_is_one_row_per_job_and_user_and_counts_per_channel_week(
    store: Store,
) -> None:
    rate = dict(job_id=7, kind="answer", team="T1", channel="C1", user="U1")
    assert await store.record_feedback(**rate, value="good") == "new"
    assert await store.record_feedback(**rate, value="good") == "same"
    assert await store.record_feedback(**rate, value="bad") == "changed"
    assert await store.feedback_of(7, "U1") == "bad"
    assert await store.feedback_of(7, "U2") is None
    await store.record_feedback(**(rate | {"job_id": 8, "channel": "C2"}), value="good")
    await store.record_feedback(**(rate | {"job_id": 9, "team": "T2"}), value="good")
    weeks = {s.channel: s for s in await store.weekly_stats(team="T1")}
    assert (weeks["C1"].good, weeks["C1"].bad) == (0, 1), "the changed click replaced the first"
    assert (weeks["C2"].good, weeks["C2"].bad) == (1, 0)
    everyone = {s.channel: s for s in await store.weekly_stats()}
    assert (everyone["C1"].good, everyone["C1"].bad) == (1, 1), "T2's rating counts unscoped"
