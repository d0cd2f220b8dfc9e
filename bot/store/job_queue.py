"""Slack intake and the job queue: each request is accepted once, then worked under a lease.

Slack retries deliveries and sends one message as both `app_mention` and `message`; the
unique keys on `seen_events` (event id, and channel + ts) decide, inside the transaction that
creates the job, whether a delivery is new, so exactly one delivery creates a job even when
several processes race. A worker claims a job with a lease and holds a liveness lock
(`presence.py`) while it lives: when that lock is gone, the worker is dead and its jobs are
taken over at once; while it is held, they are never taken. Where liveness cannot be known,
the lease running out decides.

Workers take pending jobs fairly (`claim_fairly`): users in turn, fewest jobs running first
(then the workspace with the fewest running, then the oldest job), and none of a user already
running their share, so a flood from one user waits behind itself, not in front of everyone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, true, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from bot.metrics import LEASE_TAKEOVERS, REQUESTS
from bot.store import tables
from bot.store.base import Coalescer, StoreBase
from bot.store.presence import Liveness, presence_for
from bot.store.records import FinalStatus, Job

_j = tables.jobs
_seen = tables.seen_events


def _job(row: RowMapping) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        payload=row["payload"],
        channel=row["channel"],
        thread_ts=row["thread_ts"],
        ts=row["ts"],
        team=row["team"],
        user=row["user"],
        status=row["status"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        worker=row["worker"],
        lease_until=row["lease_until"],
        note=row["note"],
        reply_ts=row["reply_ts"],
    )


@dataclass(frozen=True)
class _Request:
    values: dict[str, Any]
    event_id: str | None


@dataclass(frozen=True)
class _CountQuery:
    team: str | None
    user: str
    since: datetime
    exclude_kinds: tuple[str, ...]


class SlackIntake(StoreBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Both run on the ack path of every Slack event: grouped under bursts.
        self._record = Coalescer(self._insert_requests)
        self._count = Coalescer(self._count_requests)
        self._presence = presence_for(self._engine)

    async def register_worker(self, name: str) -> str:
        """Hold a liveness lock until `close()`; returns the worker id to claim jobs with
        (`name` and a suffix saying which kind of lock it holds)."""
        for attempt in range(10):
            worker = await self._presence.register(name if attempt == 0 else f"{name}.{attempt}")
            if worker is not None:
                return worker
        raise RuntimeError("could not take a worker liveness lock (ten keys taken)")

    async def refresh_worker(self) -> None:
        """Check that this process still holds its liveness locks; retake lost ones."""
        await self._presence.refresh()

    async def close_presence(self) -> None:
        await self._presence.close()

    async def record_request(
        self,
        *,
        event_id: str | None,
        channel: str,
        ts: str,
        kind: str,
        payload: dict[str, Any],
        team: str | None,
        user: str | None,
        thread_ts: str,
    ) -> Job | None:
        """Accept a Slack request as a pending job, or return None if it was seen before.

        Requests arriving together are written in one transaction (group commit).
        """
        values = {
            "kind": kind,
            "payload": payload,
            "channel": channel,
            "thread_ts": thread_ts,
            "ts": ts,
            "team": team,
            "user": user,
            "status": "pending",
            "attempts": 0,
            "created_at": self._now(),
        }
        return await self._record(_Request(values, event_id))

    async def _insert_requests(self, batch: list[_Request]) -> list[Job | None]:
        """Insert the jobs, then claim their dedupe keys; jobs whose keys were taken go away.

        `ON CONFLICT DO NOTHING` makes the unique keys decide, atomically, even against other
        processes writing to the same database at the same moment (and between two copies of
        one event inside the batch). Three statements per batch, however large it is.
        """
        async with self._write(urgent=True) as conn:
            inserted = await conn.execute(
                _j.insert().returning(_j.c.id, sort_by_parameter_order=True),
                [request.values for request in batch],
            )
            ids = [row.id for row in inserted]
            claimed = await conn.execute(
                self._insert(_seen).on_conflict_do_nothing().returning(_seen.c.job_id),
                [
                    {
                        "event_id": request.event_id,
                        "channel": request.values["channel"],
                        "ts": request.values["ts"],
                        "job_id": job_id,
                        "created_at": request.values["created_at"],
                    }
                    for request, job_id in zip(batch, ids, strict=True)
                ],
            )
            winners = {row.job_id for row in claimed}
            losers = [job_id for job_id in ids if job_id not in winners]
            if losers:
                await conn.execute(delete(_j).where(_j.c.id.in_(losers)))
        return [
            Job(id=job_id, **request.values) if job_id in winners else None
            for request, job_id in zip(batch, ids, strict=True)
        ]

    async def get_job(self, job_id: int) -> Job | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(_j).where(_j.c.id == job_id))).mappings().first()
        return None if row is None else _job(row)

    @staticmethod
    def _due(now: datetime) -> ColumnElement[bool]:
        """A pending job's lease_until, if set, holds it back until then (requeue_job)."""
        return or_(_j.c.lease_until.is_(None), _j.c.lease_until <= now)

    def _claim_values(self, worker: str, lease_s: float) -> dict[str, Any]:
        return dict(
            status="running",
            worker=worker,
            lease_until=self._now() + timedelta(seconds=lease_s),
            attempts=_j.c.attempts + 1,
        )

    def _fairest_pending(self, per_user: int | None, count: int) -> Select[tuple[int]]:
        """Up to `count` pending, due jobs to run next, in turn: each job's turn is how many of
        its user's jobs would then be running (those running, plus its place in the user's
        queue), so users are served round robin, fewest running first; then the workspace
        with the fewest running, then the oldest. No job whose turn is over `per_user`."""
        c, r = _j.alias("candidate"), _j.alias("other")
        same_team = r.c.team.is_not_distinct_from(c.c.team)
        same_user = r.c.user.is_not_distinct_from(c.c.user)

        def running(*same: ColumnElement[bool]) -> Any:
            return (
                select(func.count())
                .select_from(r)
                .where(r.c.status == "running", *same)
                .scalar_subquery()
            )

        now = self._now()
        place = func.row_number().over(
            partition_by=(c.c.team, c.c.user), order_by=(c.c.created_at, c.c.id)
        )
        ranked = (
            select(
                c.c.id,
                c.c.created_at,
                (running(same_team, same_user) + place).label("turn"),
                running(same_team).label("team_load"),
            )
            .where(c.c.status == "pending", or_(c.c.lease_until.is_(None), c.c.lease_until <= now))
            .subquery("ranked")
        )
        query = (
            select(ranked.c.id)
            .order_by(ranked.c.turn, ranked.c.team_load, ranked.c.created_at, ranked.c.id)
            .limit(count)
        )
        if per_user is not None:
            query = query.where(ranked.c.turn <= per_user)
        if self._engine.dialect.name == "postgresql":
            # rows another replica is claiming at this moment are skipped, not waited for
            locked = _j.alias("locked")
            return (
                select(locked.c.id)
                .where(locked.c.id.in_(query))
                .with_for_update(skip_locked=True, of=locked)
            )
        return query

    async def claim_fairly(
        self, *, worker: str, lease_s: float, count: int = 1, per_user: int | None = None
    ) -> list[Job]:
        """Take up to `count` of the fairest pending jobs (see `_fairest_pending`) for
        `lease_s` seconds, oldest first; [] when none may start (or, on PostgreSQL, when
        another replica is claiming those very jobs: ask again later). One conditional UPDATE:
        a job is claimed by one worker only, however many replicas ask at once. (`per_user` is
        counted, not locked: replicas claiming at the same instant may each start one more.)"""
        async with self._write() as conn:
            rows = (
                (
                    await conn.execute(
                        update(_j)
                        .where(
                            _j.c.id.in_(self._fairest_pending(per_user, count)),
                            _j.c.status == "pending",
                        )
                        .values(**self._claim_values(worker, lease_s))
                        .returning(*_j.c)
                    )
                )
                .mappings()
                .all()
            )
        return sorted((_job(row) for row in rows), key=lambda job: (job.created_at, job.id))

    async def claim_next(
        self, *, worker: str, lease_s: float, per_user: int | None = None
    ) -> Job | None:
        """The fairest pending job, claimed (see `claim_fairly`); None when none may start."""
        jobs = await self.claim_fairly(worker=worker, lease_s=lease_s, per_user=per_user)
        return jobs[0] if jobs else None

    async def claim_job(self, job_id: int, *, worker: str, lease_s: float) -> Job | None:
        """Take the job for `lease_s` seconds if it is pending, or running for a worker that is
        dead (or, when liveness is unknown, whose lease ran out); else None.

        Conditional UPDATEs (on the status, and on the previous owner when taking over), so two
        workers can never both win.
        """
        now = self._now()
        claim = self._claim_values(worker, lease_s)
        async with self._write() as conn:
            claimed = await conn.execute(
                update(_j)
                .where(_j.c.id == job_id, _j.c.status == "pending", self._due(now))
                .values(**claim)
            )
        if claimed.rowcount == 1:
            return await self.get_job(job_id)
        current = await self.get_job(job_id)
        if current is None or current.status != "running" or current.worker == worker:
            return None
        owner = current.worker or ""
        liveness = (await self._liveness([owner]))[owner]
        reason = self._takeover_reason(liveness, current.lease_until, now)
        if reason is None:
            return None
        async with self._write() as conn:
            claimed = await conn.execute(
                update(_j)
                .where(
                    _j.c.id == job_id,
                    _j.c.status == "running",
                    _j.c.worker == current.worker,
                    _j.c.lease_until < now if reason == "lease_expired" else true(),
                )
                .values(**claim)
            )
        if claimed.rowcount != 1:
            return None
        LEASE_TAKEOVERS.labels(reason=reason).inc()
        if reason == "dead_owner":
            await self._presence.forget(owner)
        return await self.get_job(job_id)

    @staticmethod
    def _takeover_reason(
        owner: Liveness, lease_until: datetime | None, now: datetime
    ) -> str | None:
        """Why a running job may be taken from its owner, or None if it may not."""
        if owner == "dead":
            return "dead_owner"
        if owner == "unknown" and lease_until is not None and lease_until < now:
            return "lease_expired"
        return None

    async def _liveness(self, workers: list[str]) -> dict[str, Liveness]:
        try:
            return await self._presence.check(workers)
        except Exception:  # the lock check failing must not make anyone look dead
            return {worker: "unknown" for worker in workers}

    async def extend_lease(self, job_id: int, *, worker: str, lease_s: float) -> bool:
        """Keep a long job's lease alive; False if the job is no longer ours."""
        async with self._write() as conn:
            result = await conn.execute(
                update(_j)
                .where(_j.c.id == job_id, _j.c.worker == worker, _j.c.status == "running")
                .values(lease_until=self._now() + timedelta(seconds=lease_s))
            )
        return result.rowcount == 1

    async def release_job(self, job_id: int, *, worker: str) -> None:
        """Hand an unfinished job back (graceful shutdown), so the next start resumes it now
        instead of waiting for the lease to run out."""
        async with self._write() as conn:
            await conn.execute(
                update(_j)
                .where(_j.c.id == job_id, _j.c.worker == worker, _j.c.status == "running")
                .values(status="pending", worker=None, lease_until=None)
            )

    async def requeue_job(self, job_id: int, *, worker: str, delay_s: float, note: str) -> None:
        """Put a running job back on the queue, to be claimed again after `delay_s` seconds
        (a transient fault outlasted its retries; the job is retried later, not failed).

        No new column: on a pending job, `lease_until` means "not before" (see `_due`).
        """
        async with self._write() as conn:
            await conn.execute(
                update(_j)
                .where(_j.c.id == job_id, _j.c.worker == worker, _j.c.status == "running")
                .values(
                    status="pending",
                    worker=None,
                    note=note,
                    lease_until=self._now() + timedelta(seconds=delay_s),
                )
            )

    async def set_job_reply(self, job_id: int, reply_ts: str) -> None:
        """Remember the reply message, so a resumed job edits it rather than posting again."""
        async with self._write() as conn:
            await conn.execute(update(_j).where(_j.c.id == job_id).values(reply_ts=reply_ts))

    async def finish_job(self, job_id: int, *, status: FinalStatus, note: str = "") -> None:
        """Mark a pending or running job finished; a job already finished stays as it was."""
        if status not in ("done", "failed", "expired"):
            raise ValueError(f"not a final job status: {status!r}")
        async with self._write() as conn:
            finished = await conn.execute(
                update(_j)
                .where(_j.c.id == job_id, _j.c.status.in_(("pending", "running")))
                .values(status=status, note=note, lease_until=None, finished_at=self._now())
                .returning(_j.c.kind)
            )
            kind = finished.scalar()
        if kind is not None:  # counted once per job, by the process that finished it
            REQUESTS.labels(kind=kind, outcome=status).inc()

    async def unfinished_jobs(self, *, exclude: Collection[int] = ()) -> list[Job]:
        """Jobs to (re)start, oldest first: pending, or running for a dead worker (or, when
        liveness is unknown, with an expired lease). `exclude`: ids the caller already runs.

        Swept every second, so it first reads only what decides (no payloads), and loads the
        full jobs only for those it returns.
        """
        light = (
            select(_j.c.id, _j.c.status, _j.c.worker, _j.c.lease_until)
            .where(_j.c.status.in_(("pending", "running")))
            .order_by(_j.c.created_at, _j.c.id)
        )
        async with self._engine.connect() as conn:
            rows = [row for row in (await conn.execute(light)).all() if row.id not in exclude]
        owners = sorted({row.worker or "" for row in rows if row.status == "running"})
        liveness = await self._liveness(owners) if owners else {}
        now = self._now()
        wanted = [
            row.id
            for row in rows
            if (
                row.lease_until is None or row.lease_until <= now  # pending: due (requeue_job)
                if row.status == "pending"
                else self._takeover_reason(liveness[row.worker or ""], row.lease_until, now)
            )
        ]
        if not wanted:
            return []
        query = select(_j).where(_j.c.id.in_(wanted)).order_by(_j.c.created_at, _j.c.id)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).mappings().all()
        return [_job(r) for r in found if r["status"] in ("pending", "running")]

    async def queue_stats(self) -> tuple[int, datetime | None]:
        """(jobs accepted and not finished, creation time of the oldest), for metrics."""
        query = select(func.count(), func.min(_j.c.created_at)).where(
            _j.c.status.in_(("pending", "running"))
        )
        async with self._engine.connect() as conn:
            count, oldest = (await conn.execute(query)).one()
        if isinstance(oldest, str):  # SQLite: an aggregate loses the column's type
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), oldest

    async def count_requests(
        self,
        *,
        team: str | None,
        user: str,
        since: datetime,
        exclude_kinds: tuple[str, ...] = (),
    ) -> int:
        """Requests accepted from `user` of workspace `team` at or after `since` (for the
        per-user quota: each workspace's quota is its own); `exclude_kinds` leaves out jobs
        that cost nothing, such as refusals."""
        return await self._count(_CountQuery(team, user, since, tuple(exclude_kinds)))

    async def _count_requests(self, batch: list[_CountQuery]) -> list[int]:
        """One query for a batch of quota checks; each is then counted with its own window."""
        query = select(_j.c.team, _j.c.user, _j.c.kind, _j.c.created_at).where(
            _j.c.user.in_({q.user for q in batch}),
            _j.c.created_at >= min(q.since for q in batch),
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            sum(
                1
                for row in rows
                if row.user == q.user
                and row.team == q.team
                and row.created_at >= q.since
                and row.kind not in q.exclude_kinds
            )
            for q in batch
        ]
