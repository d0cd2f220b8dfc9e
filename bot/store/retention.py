"""Retention and purges: deleting stored content by age, workspace or channel.

One selection (`Purge`) applied to every table that holds content, each by the column that
says when its row was last written. Workspace content (threads, turns, pasted texts, feedback,
assistant-pane threads, jobs, team-keyed results) matches on team and channel; the shared cache
of public URLs (articles, their URLs, results not keyed by a team) holds nothing of a workspace,
so only age selects it.
Unfinished jobs are never purged (a job in flight would write again). Usage is not content:
it stays (the uninstall path anonymises it).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, delete, exists, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import tables
from bot.store.base import StoreBase
from bot.store.cache import team_result_prefix

log = logging.getLogger(__name__)

_TEAM_PREFIX_LIKE = team_result_prefix("%")  # "team=%|": every team's namespace


@dataclass(frozen=True)
class Purge:
    """What to delete: content written before `before`, of `team`, in `channel` (all optional,
    but at least one must be set: an empty selection would be everything)."""

    before: datetime | None = None
    team: str | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        if self.before is None and self.team is None and self.channel is None:
            raise ValueError("a purge needs an age, a team or a channel")


def _match(
    table: Table,
    purge: Purge,
    written: str,
    *,
    in_channel: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    """Rows of a workspace table that the purge selects (`in_channel`: how a row belongs to
    the purged channel, when its `channel` column alone does not say)."""
    clauses: list[ColumnElement[bool]] = []
    if purge.team is not None:
        clauses.append(table.c.team == purge.team)
    if purge.channel is not None:
        clauses.append(in_channel if in_channel is not None else table.c.channel == purge.channel)
    if purge.before is not None:
        clauses.append(table.c[written] < purge.before)
    return and_(true(), *clauses)


def _selections(purge: Purge) -> list[tuple[Table, ColumnElement[bool]]]:
    """(table, rows to delete) in an order that respects foreign keys."""
    t = tables
    jobs = and_(_match(t.jobs, purge, "created_at"), t.jobs.c.status.not_in(("pending", "running")))
    chosen = [
        # Pasted texts first: which ones go depends on the threads that are about to go.
        (t.team_articles, _team_articles(purge)),
        (t.turns, _match(t.turns, purge, "created_at")),
        (t.threads, _match(t.threads, purge, "updated_at")),
        (t.feedback, _match(t.feedback, purge, "updated_at")),
        (t.assistant_threads, _pane_threads(purge)),
        (t.jobs, jobs),
    ]
    if purge.channel is None:
        chosen.append((t.results, _team_results(purge)))
    if purge.team is None and purge.channel is None and purge.before is not None:
        chosen += [
            (t.results, and_(not_(t.results.c.key.like(_TEAM_PREFIX_LIKE + "%")),
                             t.results.c.stored_at < purge.before)),
            (t.article_urls, t.article_urls.c.fetched_at < purge.before),
            (t.articles, t.articles.c.stored_at < purge.before),
        ]  # fmt: skip
    return chosen


def _team_articles(purge: Purge) -> ColumnElement[bool]:
    """Pasted texts have no channel: a channel purge takes those its threads read and no
    other thread does (judged against the selection, so a dry run counts the same rows)."""
    ta, th = tables.team_articles, tables.threads
    if purge.channel is None:
        return _match(ta, purge, "stored_at")
    same = and_(th.c.team == ta.c.team, th.c.content_hash == ta.c.content_hash)
    selected = _match(th, purge, "updated_at")
    return and_(exists().where(same, selected), not_(exists().where(same, not_(selected))))


def _pane_threads(purge: Purge) -> ColumnElement[bool]:
    """Assistant-pane threads live in the user's DM with the bot, but remember the channel the
    user was viewing: a channel purge takes those that looked at the channel too."""
    pane = tables.assistant_threads
    viewing = or_(pane.c.channel == purge.channel, pane.c.context_channel == purge.channel)
    return _match(pane, purge, "updated_at", in_channel=viewing)


def _team_results(purge: Purge) -> ColumnElement[bool]:
    r = tables.results
    pattern = team_result_prefix(purge.team if purge.team is not None else "%") + "%"
    age = r.c.stored_at < purge.before if purge.before is not None else true()
    return and_(r.c.key.like(pattern), age)


class RetentionSweeper(StoreBase):
    async def purge(self, purge: Purge, *, dry_run: bool = False) -> dict[str, int]:
        """Delete (or with `dry_run`, count) what `purge` selects; rows per table."""
        counts: dict[str, int] = {}
        if dry_run:
            async with self._engine.connect() as conn:
                for table, where in _selections(purge):
                    found = await conn.scalar(select(func.count()).select_from(table).where(where))
                    counts[table.name] = counts.get(table.name, 0) + int(found or 0)
            return counts
        async with self._write() as conn:
            for table, where in _selections(purge):
                counts[table.name] = counts.get(table.name, 0) + await _delete(conn, table, where)
        return counts

    async def sweep_expired(self, retention_days: int) -> dict[str, int]:
        """Delete content older than the retention period (nothing when it is 0: forever)."""
        if retention_days <= 0:
            return {}
        return await self.purge(Purge(before=self._now() - timedelta(days=retention_days)))


async def _delete(conn: AsyncConnection, table: Table, where: ColumnElement[bool]) -> int:
    result = await conn.execute(delete(table).where(where))
    return result.rowcount


async def sweep_forever(sweeper: RetentionSweeper, retention_days: int, every_s: float) -> None:
    """The bot's retention loop: sweep now, then every `every_s` seconds (any replica may run
    it: deleting what is already deleted is harmless)."""
    while True:
        try:
            counts = await sweeper.sweep_expired(retention_days)
            if any(counts.values()):
                log.info(
                    "retention: deleted content older than %d days: %s", retention_days, counts
                )
        except Exception:
            log.exception("retention sweep failed; will retry")
        await asyncio.sleep(every_s)
