"""What the store hands back: plain frozen records, independent of the database rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

JobStatus = Literal["pending", "running", "done", "failed", "expired"]
FinalStatus = Literal["done", "failed", "expired"]


@dataclass(frozen=True)
class Job:
    """A unit of Slack work accepted exactly once; `attempts` counts claims, for retry limits."""

    id: int
    kind: str
    payload: dict[str, Any] = field(hash=False)
    channel: str
    thread_ts: str
    ts: str
    team: str | None
    user: str | None
    status: JobStatus
    attempts: int
    created_at: datetime
    worker: str | None = None
    lease_until: datetime | None = None
    note: str = ""
    reply_ts: str | None = None


@dataclass(frozen=True)
class ThreadState:
    """Which article a Slack thread is about, and where its summary was posted."""

    team: str
    channel: str
    thread_ts: str
    content_hash: str
    summary_ts: str | None
    created_at: datetime
    updated_at: datetime
