"""Fair claiming of pending jobs (`claim_next`), on SQLite and PostgreSQL: a flood from one
user or workspace does not keep anyone else's job from starting, and each job is claimed by
exactly one worker however many replicas ask at once."""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import TYPE_CHECKING

import pytest

from bot.store import Store
from bot.store.records import Job

if TYPE_CHECKING:
    from tests.store_fixtures import FakeClock

pytest_plugins = ["tests.store_fixtures"]

_ts = itertools.count(1)


async def request(store: Store, clock: FakeClock, *, user: str, team: str = "T1") -> Job:
    clock.advance(0.01)  # each request a little later than the one before
    n = next(_ts)
    job = await store.record_request(
        event_id=f"Ev{n}", channel="C1", ts=f"{n}.0", kind="summary", payload={},
        team=team, user=user, thread_ts=f"{n}.0",
    )  # fmt: skip
    assert job is not None
    return job


async def claim_all(store: Store, worker: str = "w") -> list[Job]:
    """Claim until nothing is pending, none finishing (the worst case for fairness)."""
    claimed = []
    while (job := await store.claim_next(worker=worker, lease_s=60)) is not None:
        claimed.append(job)
    return claimed


async def test_one_mention_after_a_flood_is_claimed_second(store: Store, clock: FakeClock) -> None:
    flood = [await request(store, clock, user="UA") for _ in range(30)]
    single = await request(store, clock, user="UB")
    order = [j.id for j in await claim_all(store)]
    assert sorted(order) == sorted(j.id for j in [*flood, single])
    assert order.index(single.id) <= 1, "at most one flood job goes first"
    flood_order = [i for i in order if i != single.id]
    assert flood_order == [j.id for j in flood], "within one user: oldest first"


async def test_claims_take_turns_between_busy_users(store: Store, clock: FakeClock) -> None:
    """Users with jobs pending are served so that none has two more running than another."""
    users = ["UA", "UB", "UC"]
    for user in random.Random(7).choices(users, weights=[10, 3, 1], k=40):
        await request(store, clock, user=user)
    running = dict.fromkeys(users, 0)
    left = dict.fromkeys(users, 0)
    for job in await store.unfinished_jobs():
        left[job.user or ""] += 1
    while (job := await store.claim_next(worker="w", lease_s=60)) is not None:
        user = job.user or ""
        # nobody with jobs still waiting has fewer running than the user just served
        assert all(running[user] <= running[u] for u in users if left[u] > 0), (user, running)
        running[user] += 1
        left[user] -= 1
    assert sum(running.values()) == 40


async def test_a_small_workspace_is_not_crowded_out_by_a_big_one(
    store: Store, clock: FakeClock
) -> None:
    """Many users of one workspace flooding do not crowd out another workspace's one user."""
    for i in range(12):
        await request(store, clock, user=f"U{i % 6}", team="TBIG")
    other = await request(store, clock, user="U0", team="TSMALL")
    order = [j.id for j in await claim_all(store)]
    assert order.index(other.id) <= 1


async def test_finished_jobs_free_their_users_turn(store: Store, clock: FakeClock) -> None:
    """Only running jobs count: a user whose jobs are done is not held back by them."""
    first = await request(store, clock, user="UA")
    taken = await store.claim_next(worker="w", lease_s=60)
    assert taken is not None and taken.id == first.id and taken.status == "running"
    assert taken.attempts == 1 and taken.worker == "w"
    await store.finish_job(first.id, status="done")
    again = await request(store, clock, user="UA")
    later = await request(store, clock, user="UB")
    order = [j.id for j in await claim_all(store)]
    assert order == [again.id, later.id]


async def test_a_user_runs_at_most_their_share(store: Store, clock: FakeClock) -> None:
    """With `per_user`, a user's jobs beyond that many running stay pending (others' do not),
    and the next one starts once one of theirs is finished."""
    flood = [await request(store, clock, user="UA") for _ in range(5)]
    taken = [await store.claim_next(worker="w", lease_s=60, per_user=2) for _ in range(3)]
    assert [j.id for j in taken if j is not None] == [flood[0].id, flood[1].id]
    other = await request(store, clock, user="UB")
    next_one = await store.claim_next(worker="w", lease_s=60, per_user=2)
    assert next_one is not None and next_one.id == other.id
    await store.finish_job(flood[0].id, status="done")
    after = await store.claim_next(worker="w", lease_s=60, per_user=2)
    assert after is not None and after.id == flood[2].id
    assert await store.claim_next(worker="w", lease_s=60, per_user=2) is None


async def test_requeued_jobs_wait_out_their_backoff(store: Store, clock: FakeClock) -> None:
    job = await request(store, clock, user="UA")
    assert await store.claim_next(worker="w", lease_s=60) is not None
    await store.requeue_job(job.id, worker="w", delay_s=30, note="slack server_error")
    other = await request(store, clock, user="UA")
    taken = await store.claim_next(worker="w", lease_s=60)
    assert taken is not None and taken.id == other.id
    assert await store.claim_next(worker="w", lease_s=60) is None
    clock.advance(31)
    again = await store.claim_next(worker="w", lease_s=60)
    assert again is not None and again.id == job.id and again.attempts == 2


async def test_a_batch_is_claimed_in_turns(store: Store, clock: FakeClock) -> None:
    """One statement claiming several jobs serves users round robin, as single claims do,
    and never gives a user more than their share."""
    for user in ["UA"] * 12 + ["UB"] * 3 + ["UC"]:
        await request(store, clock, user=user)
    batch = await store.claim_fairly(worker="w", lease_s=60, count=5, per_user=2)
    users = sorted(j.user or "" for j in batch)
    assert users == ["UA", "UA", "UB", "UB", "UC"]
    assert [j.created_at for j in batch] == sorted(j.created_at for j in batch)
    rest = await store.claim_fairly(worker="w", lease_s=60, count=50, per_user=2)
    assert rest == [], "every user is at their share"
    more = await store.claim_fairly(worker="w", lease_s=60, count=50)
    assert len(more) == 11 and {j.id for j in more}.isdisjoint(j.id for j in batch)


@pytest.mark.parametrize("count", [1, 7])
async def test_replicas_claiming_at_once_take_each_job_exactly_once(
    db_url: str, store: Store, clock: FakeClock, count: int
) -> None:
    """Six workers on three replicas, claiming one job or a batch at a time."""
    jobs = [await request(store, clock, user=f"U{i % 4}") for i in range(80)]
    replicas = [await Store.open(db_url, clock=clock) for _ in range(3)]
    try:

        async def worker(replica: Store, name: str) -> list[int]:
            taken: list[int] = []
            empty = 0
            while empty < 3:  # on PostgreSQL, rows another replica is claiming are skipped:
                batch = await replica.claim_fairly(worker=name, lease_s=60, count=count)
                taken += [j.id for j in batch]
                empty = 0 if batch else empty + 1  # an empty batch may just mean that
                await asyncio.sleep(0.01 * empty)
            return taken

        taken = await asyncio.gather(*(worker(replicas[i % 3], f"w{i}") for i in range(6)))
    finally:
        for replica in replicas:
            await replica.close()
    claimed = [job_id for ids in taken for job_id in ids]
    assert sorted(claimed) == sorted(j.id for j in jobs), "each job once, none left"
    assert await store.claim_next(worker="w", lease_s=60) is None
