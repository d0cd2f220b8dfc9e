"""The fair limiter: a bound like a semaphore, with waiters served round robin by requester."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.fairness import FairExecutor, FairLimiter, requester


async def _run(limiter: FairLimiter, who: tuple[str, ...], log: list[tuple[str, ...]],
               gate: asyncio.Event) -> None:  # fmt: skip
    requester.set(who)
    async with limiter:
        log.append(who)
        await gate.wait()


async def _hold_in_turn(limiter: FairLimiter, who: tuple[str, ...], log: list[tuple[str, ...]],
                        gates: list[asyncio.Event]) -> None:  # fmt: skip
    """Hold the slot until the test releases the holder of this position in the log."""
    requester.set(who)
    async with limiter:
        position = len(log)
        log.append(who)
        await gates[position].wait()


async def _drain(tasks: list[asyncio.Task[None]], gates: list[asyncio.Event], log: list) -> None:
    """Let the holders finish one at a time, in the order they got their slot."""
    for position in range(len(tasks)):
        while len(log) <= position:
            await asyncio.sleep(0)
        gates[position].set()
    await asyncio.gather(*tasks)


async def test_a_flood_from_one_user_does_not_hold_back_another() -> None:
    limiter = FairLimiter(2)
    log: list[tuple[str, ...]] = []
    order: list[tuple[str, ...]] = [("flood", "C1")] * 200 + [("single", "C1")] * 3
    gates = [asyncio.Event() for _ in order]
    tasks = [asyncio.create_task(_hold_in_turn(limiter, who, log, gates)) for who in order]
    await asyncio.sleep(0)
    await _drain(tasks, gates, log)
    # The single user's first call is served right after the two running ones, not last.
    first_single = log.index(("single", "C1"))
    assert first_single <= limiter.limit + 1
    assert Counter(log) == Counter(order), "every call got its slot exactly once"
    assert limiter.holders == 0


async def test_round_robin_over_users_then_channels() -> None:
    limiter = FairLimiter(1)
    log: list[tuple[str, ...]] = []
    release = asyncio.Event()
    release.set()
    blocker = asyncio.Event()
    first = asyncio.create_task(_run(limiter, ("zed", "C0"), log, blocker))
    await asyncio.sleep(0)
    waiting = [("a", "C1")] * 3 + [("a", "C2")] * 3 + [("b", "C1")] * 3
    tasks = [asyncio.create_task(_run(limiter, who, log, release)) for who in waiting]
    await asyncio.sleep(0)
    blocker.set()
    await asyncio.gather(first, *tasks)
    served = log[1:]
    # Users alternate while both wait; within user a, its channels alternate.
    assert [who[0] for who in served[:6]] == ["a", "b"] * 3
    a_channels = [who[1] for who in served if who[0] == "a"]
    assert a_channels[:4] == ["C1", "C2", "C1", "C2"]


async def test_never_more_holders_than_the_limit_and_cancelled_waiters_free_nothing() -> None:
    limiter = FairLimiter(3)
    inside = 0
    peak = 0

    async def call(who: str) -> None:
        nonlocal inside, peak
        requester.set((who,))
        async with limiter:
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    tasks = [asyncio.create_task(call(f"u{i % 7}")) for i in range(60)]
    await asyncio.sleep(0)
    for task in tasks[10:20]:
        task.cancel()  # waiting ones: must not take or leak a slot
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert sum(isinstance(r, asyncio.CancelledError) for r in results) == 10
    assert peak == 3 and limiter.holders == 0
    # Still usable afterwards: the slots all came back.
    await asyncio.wait_for(asyncio.gather(*(call("late") for _ in range(6))), timeout=10)


async def test_without_a_requester_it_is_first_come_first_served() -> None:
    limiter = FairLimiter(1)
    log: list[int] = []
    gate = asyncio.Event()

    async def call(n: int) -> None:
        async with limiter:
            log.append(n)
            if n == 0:
                await gate.wait()

    tasks = [asyncio.create_task(call(n)) for n in range(10)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*tasks)
    assert log == list(range(10))


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FairLimiter(0)


def _submit_as(executor: FairExecutor, who: tuple[str, ...], fn, *args):  # type: ignore[no-untyped-def]
    """Submit from a context whose requester is `who` (as a job's task would)."""
    context = contextvars.copy_context()
    context.run(requester.set, who)
    return context.run(executor.submit, fn, *args)


def test_executor_serves_requesters_in_turn_and_passes_results_through() -> None:
    gate = threading.Event()
    order: list[str] = []

    def work(name: str) -> str:
        gate.wait(10)
        order.append(name)
        if name == "bad":
            raise ValueError("unreadable article")
        return name.upper()

    with ThreadPoolExecutor(max_workers=1) as pool:
        executor = FairExecutor(pool, limit=1)
        first = _submit_as(executor, ("flood",), work, "flood-0")  # takes the only slot
        flood = [_submit_as(executor, ("flood",), work, f"flood-{i}") for i in range(1, 6)]
        single = _submit_as(executor, ("single",), work, "single")
        bad = _submit_as(executor, ("third",), work, "bad")
        cancelled = _submit_as(executor, ("flood",), work, "never")
        assert cancelled.cancel()  # still waiting here: cancellable, and never run
        gate.set()
        assert single.result(10) == "SINGLE" and first.result(10) == "FLOOD-0"
        with pytest.raises(ValueError, match="unreadable"):
            bad.result(10)
        assert [f.result(10) for f in flood] == [f"FLOOD-{i}" for i in range(1, 6)]
    # After the running call, the waiting requesters alternate: flood, single, third, flood...
    assert order[:4] == ["flood-0", "flood-1", "single", "bad"]
    assert "never" not in order and len(order) == 8


def test_executor_without_requesters_keeps_submission_order() -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        executor = FairExecutor(pool, limit=2)
        futures = [executor.submit(pow, 2, n) for n in range(20)]
        assert [f.result(10) for f in futures] == [2**n for n in range(20)]


def test_executor_reports_a_broken_pool_on_every_waiting_call() -> None:
    pool = ThreadPoolExecutor(max_workers=1)
    pool.shutdown()
    executor = FairExecutor(pool, limit=1)
    futures = [executor.submit(pow, 2, n) for n in range(3)]
    for future in futures:
        with pytest.raises(RuntimeError):
            future.result(10)
