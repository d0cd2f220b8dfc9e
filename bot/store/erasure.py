"""Deleting a workspace's data: when it uninstalls the app or revokes its tokens.

What goes: its threads, turns, pasted texts and uploads, 👍/👎 feedback, assistant-pane
threads, jobs (and their dedupe keys, by cascade), its Grid org membership and the results
cached under its team. What stays: usage totals, anonymised (no team, channel or user: the
cost history of the deployment stays whole) and the shared cache of public URLs (nothing of
the workspace is in it). Archived or deleted channels only lose their pending jobs: there is
no one left to answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, delete, update

from bot.store import tables
from bot.store.base import StoreBase
from bot.store.cache import team_result_prefix

# Tables whose rows belong to one workspace, by their `team` column: all deleted with it.
TEAM_TABLES: tuple[Table, ...] = (
    tables.turns,
    tables.threads,
    tables.team_articles,
    tables.feedback,
    tables.assistant_threads,
    tables.jobs,
    tables.workspaces,
)
ANONYMOUS_TEAM = "(deleted)"


@dataclass(frozen=True)
class Erased:
    """Rows deleted per table, and usage rows anonymised: what the operator log shows."""

    deleted: dict[str, int]
    anonymised_usage: int

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


class WorkspaceEraser(StoreBase):
    async def erase_team(self, team: str) -> Erased:
        """Delete everything the workspace stored, in one transaction; idempotent."""
        if not team:
            raise ValueError("erase_team needs a team id")
        deleted: dict[str, int] = {}
        async with self._write() as conn:
            for table in TEAM_TABLES:
                result = await conn.execute(delete(table).where(table.c.team == team))
                deleted[table.name] = result.rowcount
            results = tables.results
            prefix = team_result_prefix(team)
            # The prefix holds no LIKE wildcards (team ids are [A-Z0-9]); escape anyway.
            pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            gone = await conn.execute(
                delete(results).where(results.c.key.like(pattern + "%", escape="\\"))
            )
            deleted[results.name] = gone.rowcount
            usage = tables.usage
            anonymised = await conn.execute(
                update(usage)
                .where(usage.c.team == team)
                .values(team=ANONYMOUS_TEAM, channel=None, user=None)
            )
        return Erased(deleted=deleted, anonymised_usage=anonymised.rowcount)

    async def drop_channel_jobs(self, team: str, channel: str, *, note: str) -> int:
        """Finish the channel's pending jobs (archived or deleted: nothing can be posted)."""
        jobs = tables.jobs
        async with self._write() as conn:
            result = await conn.execute(
                update(jobs)
                .where(jobs.c.team == team, jobs.c.channel == channel, jobs.c.status == "pending")
                .values(status="failed", note=note, lease_until=None, finished_at=self._now())
            )
        return result.rowcount
