"""Slack intake and the job queue: each request is accepted once, then worked under a lease.

Slack retries deliveries and sends one message as both `app_mention` and `message`; the
unique keys on `seen_events` (event id, and channel + ts) decide, inside the transaction that
creates the job, whether a delivery is new, so exactly one delivery creates a job even when
several processes race. A worker claims a job with a lease;
if it dies, the lease runs out and another worker (or the restarted bot) can claim it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from bot.store import tables
from bot.store.base import Coalescer, StoreBase
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

    def _claimable(self, now: datetime) -> ColumnElement[bool]:
        return or_(
            # A pending job's lease_until, if set, holds it back until then (requeue_job).
            and_(
                _j.c.status == "pending", or_(_j.c.lease_until.is_(None), _j.c.lease_until <= now)
            ),
            and_(_j.c.status == "running", _j.c.lease_until < now),
        )

    async def claim_job(self, job_id: int, *, worker: str, lease_s: float) -> Job | None:
        """Take the job for `lease_s` seconds if it is pending or its lease ran out; else None.

        A single conditional UPDATE, so two workers can never both win.
        """
        now = self._now()
        async with self._write() as conn:
            claimed = await conn.execute(
                update(_j)
                .where(_j.c.id == job_id, self._claimable(now))
                .values(
                    status="running",
                    worker=worker,
                    lease_until=now + timedelta(seconds=lease_s),
                    attempts=_j.c.attempts + 1,
                )
            )
            if claimed.rowcount != 1:
                return None
            row = (await conn.execute(select(_j).where(_j.c.id == job_id))).mappings().one()
        return _job(row)

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

        No new column: on a pending job, `lease_until` means "not before" (see `_claimable`).
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
            await conn.execute(
                update(_j)
                .where(_j.c.id == job_id, _j.c.status.in_(("pending", "running")))
                .values(status=status, note=note, lease_until=None, finished_at=self._now())
            )

    async def unfinished_jobs(self) -> list[Job]:
        """Jobs to (re)start: pending, or running with an expired lease; oldest first."""
        query = select(_j).where(self._claimable(self._now())).order_by(_j.c.created_at, _j.c.id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_job(r) for r in rows]

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
