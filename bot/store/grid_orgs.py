"""Enterprise Grid: which org each workspace belongs to.

Events carry their org (`enterprise_id`); jobs run later carry only their team. An org-wide
installation is stored under its org with no team, so a job finds it through this mapping, and
an org-wide uninstall finds here the workspaces whose data goes with it.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.store import tables
from bot.store.base import StoreBase

_w = tables.workspaces


class GridOrgs(StoreBase):
    async def enterprise_of(self, team: str) -> str | None:
        """The org `team` belongs to, as its last event said; None for a standalone workspace."""
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(_w.c.enterprise).where(_w.c.team == team))
        return None if found is None else str(found)

    async def note_enterprise(self, team: str, enterprise: str | None) -> None:
        """Remember the org an event of `team` came with (None: the workspace is standalone).
        Callers read first (`enterprise_of`) and write only on a change: events are many."""
        async with self._write() as conn:
            if enterprise is None:
                await conn.execute(delete(_w).where(_w.c.team == team))
                return
            insert = self._insert(_w).values(team=team, enterprise=enterprise, seen_at=self._now())
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["team"],
                    set_={"enterprise": insert.excluded.enterprise, "seen_at": self._now()},
                )
            )

    async def teams_of_enterprise(self, enterprise: str) -> list[str]:
        """The org's workspaces the bot has heard from (and not yet erased)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(_w.c.team).where(_w.c.enterprise == enterprise).order_by(_w.c.team)
            )
            return [str(row[0]) for row in rows]
