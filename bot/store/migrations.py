"""Create or upgrade the schema at start, one numbered step at a time.

The database records the version it is at; `migrate` applies the later steps in order, in one
transaction, holding a lock so that two processes starting together do not both upgrade.
Steps are idempotent (they check before they change) so a fresh database, where v1 already
creates today's tables, passes through later steps harmlessly. To change the schema: edit
`tables.py` and append a step here, e.g. `Step(4, "...", add_column("jobs", "priority"))`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateColumn

from bot.store import tables

# Arbitrary constant naming our PostgreSQL advisory lock ("ABOTMIGR" as ASCII, fits in int64).
_PG_LOCK_KEY = 0x41424F544D494752


@dataclass(frozen=True)
class Step:
    version: int
    name: str
    apply: Callable[[Connection], None]


def create_all(conn: Connection) -> None:
    tables.metadata.create_all(conn, checkfirst=True)


def add_column(table_name: str, column_name: str) -> Callable[[Connection], None]:
    """A step adding one column, as `tables.py` defines it, unless it is already there."""

    def apply(conn: Connection) -> None:
        existing = {c["name"] for c in inspect(conn).get_columns(table_name)}
        if column_name in existing:
            return
        column = tables.metadata.tables[table_name].c[column_name]
        ddl = CreateColumn(column).compile(dialect=conn.dialect)
        quoted = conn.dialect.identifier_preparer.quote(table_name)
        conn.exec_driver_sql(f"ALTER TABLE {quoted} ADD COLUMN {ddl}")

    return apply


def create_table(table_name: str) -> Callable[[Connection], None]:
    """A step creating one table (and its indexes), as `tables.py` defines it, unless present."""

    def apply(conn: Connection) -> None:
        tables.metadata.tables[table_name].create(conn, checkfirst=True)

    return apply


def _team_of_thread(alias: str) -> str:
    """SQL: the workspace of a thread recorded before v4, from the jobs that thread had."""
    return (
        "COALESCE((SELECT j.team FROM jobs j WHERE j.channel = "
        f"{alias}.channel AND j.thread_ts = {alias}.thread_ts AND j.team IS NOT NULL "
        "ORDER BY j.id LIMIT 1), '')"
    )


def scope_by_team(conn: Connection) -> None:
    """v4: threads keyed by (team, channel, thread_ts); turns carry their team; pasted texts
    get their own team-scoped table. Rows from before take their team from their thread's jobs
    (a single-workspace install gets its one team back)."""
    create_all(conn)  # team_articles
    existing = {c["name"] for c in inspect(conn).get_columns("threads")}
    if "team" not in existing:
        # The primary key changes: rebuild (SQLite cannot alter a key). PostgreSQL keeps the
        # old key's index name with the renamed table, so it is renamed out of the way first.
        conn.exec_driver_sql("ALTER TABLE threads RENAME TO threads_before_v4")
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER INDEX threads_pkey RENAME TO threads_before_v4_pkey")
        tables.threads.create(conn)
        conn.exec_driver_sql(
            "INSERT INTO threads (team, channel, thread_ts, content_hash, summary_ts, "
            f"created_at, updated_at) SELECT {_team_of_thread('o')}, o.channel, o.thread_ts, "
            "o.content_hash, o.summary_ts, o.created_at, o.updated_at FROM threads_before_v4 o"
        )
        conn.exec_driver_sql("DROP TABLE threads_before_v4")
    add_column("turns", "team")(conn)
    conn.exec_driver_sql(f"UPDATE turns SET team = {_team_of_thread('turns')} WHERE team = ''")
    for table in (tables.turns, tables.jobs):
        for index in table.indexes:
            index.create(conn, checkfirst=True)


STEPS: tuple[Step, ...] = (
    Step(1, "initial schema", create_all),
    Step(2, "jobs.note: why a job failed or expired", add_column("jobs", "note")),
    Step(3, "jobs.reply_ts: the reply a resumed job must edit", add_column("jobs", "reply_ts")),
    Step(4, "workspace isolation: threads, turns, pasted texts by team", scope_by_team),
    Step(5, "feedback: 👍/👎 on bot replies", create_table("feedback")),
    Step(6, "assistant_threads: the pane's channel context", create_table("assistant_threads")),
    Step(7, "workspaces: each Grid workspace's org", create_table("workspaces")),
)

LATEST_VERSION = STEPS[-1].version


def current_version(conn: Connection) -> int:
    """The version the database is at; 0 when it has no schema yet."""
    if not inspect(conn).has_table(tables.schema_version.name):
        return 0
    table = tables.schema_version
    found = conn.scalar(select(table.c.version).where(table.c.id == 1))
    return int(found or 0)


def migrate(conn: Connection, steps: Sequence[Step] = STEPS, *, target: int | None = None) -> int:
    """Bring the schema up to `target` (default: the last step); returns the version reached.

    Call inside a transaction: every step and the version bump commit together or not at all.
    """
    versions = [s.version for s in steps]
    if versions != list(range(1, len(steps) + 1)):
        raise ValueError(f"migration steps must be numbered 1..n in order, got {versions}")
    target = versions[-1] if target is None else target
    _lock(conn)
    tables.schema_version.create(conn, checkfirst=True)
    current = current_version(conn)
    if current > versions[-1]:
        raise RuntimeError(
            f"the database schema is v{current}, newer than this articlebot (v{versions[-1]}): "
            "upgrade articlebot"
        )
    for step in steps:
        if current < step.version <= target:
            step.apply(conn)
    reached = max(current, target)
    if reached != current:
        _set_version(conn, reached, exists=current > 0)
    return reached


def create_under_lock(conn: Connection, *schemas: MetaData) -> None:
    """Create tables that are not ours (slack_sdk's OAuth stores) under the migration lock, so
    replicas starting together on an empty database do not race to create them. Call inside a
    write transaction (SQLite: BEGIN IMMEDIATE), as `migrate`."""
    _lock(conn)
    for schema in schemas:
        schema.create_all(conn, checkfirst=True)


def _lock(conn: Connection) -> None:
    # SQLite: the caller's transaction began IMMEDIATE, which already excludes other writers.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def _set_version(conn: Connection, version: int, *, exists: bool) -> None:
    table = tables.schema_version
    values = {"version": version, "upgraded_at": datetime.now(UTC)}
    if exists:
        conn.execute(table.update().where(table.c.id == 1).values(**values))
    else:
        conn.execute(table.insert().values(id=1, **values))
