"""Slack intake and the job queue: each request is accepted once, then worked under a lease.

Slack retries deliveries and sends one message as both `app_mention` and `message`; the
unique keys on `seen_events` (event id, and channel + ts) turn every repeat into an
IntegrityError inside the same transaction that would have created the job, so exactly one
delivery creates a job even when several processes race. A worker claims a job with a lease;
if it dies, the lease runs out and another worker (or the restarted bot) can claim it again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from bot.store import tables
from bot.store.base import StoreBase
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
    )


class SlackIntake(StoreBase):
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
        """Accept a Slack request as a pending job, or return None if it was seen before."""
        now = self._now()
        try:
            async with self._writer.begin() as conn:
                job_id = (
                    await conn.execute(
                        _j.insert()
                        .values(
                            kind=kind,
                            payload=payload,
                            channel=channel,
                            thread_ts=thread_ts,
                            ts=ts,
                            team=team,
                            user=user,
                            status="pending",
                            attempts=0,
                            created_at=now,
                        )
                        .returning(_j.c.id)
                    )
                ).scalar_one()
                await conn.execute(
                    _seen.insert().values(
                        event_id=event_id, channel=channel, ts=ts, job_id=job_id, created_at=now
                    )
                )
        except IntegrityError:
            if await self._seen_before(event_id, channel, ts):
                return None
            raise
        return await self.get_job(job_id)

    async def _seen_before(self, event_id: str | None, channel: str, ts: str) -> bool:
        """After an IntegrityError: was it our dedupe keys (a repeat) or a real fault?"""
        same = and_(_seen.c.channel == channel, _seen.c.ts == ts)
        if event_id is not None:
            same = or_(same, _seen.c.event_id == event_id)
        async with self._engine.connect() as conn:
            return bool(await conn.scalar(select(func.count()).select_from(_seen).where(same)))

    async def get_job(self, job_id: int) -> Job | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(_j).where(_j.c.id == job_id))).mappings().first()
        return None if row is None else _job(row)

    def _claimable(self, now: datetime) -> ColumnElement[bool]:
        return or_(
            _j.c.status == "pending",
            and_(_j.c.status == "running", _j.c.lease_until < now),
        )

    async def claim_job(self, job_id: int, *, worker: str, lease_s: float) -> Job | None:
        """Take the job for `lease_s` seconds if it is pending or its lease ran out; else None.

        A single conditional UPDATE, so two workers can never both win.
        """
        now = self._now()
        async with self._writer.begin() as conn:
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

    async def finish_job(self, job_id: int, *, status: FinalStatus, note: str = "") -> None:
        """Mark a pending or running job finished; a job already finished stays as it was."""
        if status not in ("done", "failed", "expired"):
            raise ValueError(f"not a final job status: {status!r}")
        async with self._writer.begin() as conn:
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

    async def count_requests(self, *, user: str, since: datetime) -> int:
        """Requests accepted from `user` at or after `since` (for the per-user quota)."""
        query = (
            select(func.count()).select_from(_j).where(_j.c.user == user, _j.c.created_at >= since)
        )
        async with self._engine.connect() as conn:
            return int(await conn.scalar(query) or 0)
