"""Persistence: article and result caches, Slack intake and jobs, thread state, usage."""

from bot.store.records import Job, JobStatus, ThreadState
from bot.store.store import Store

__all__ = ["Job", "JobStatus", "Store", "ThreadState"]
