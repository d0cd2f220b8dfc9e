"""Two workspaces in one database: nothing one stores is read for the other (SQLite + PostgreSQL).

The same channel id and thread ts in both workspaces is the hard case (a Slack Connect channel
shared by two workspaces that both installed the bot): every lookup must still keep them apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, MetaData, String, Table, Text, func, select, text

from bot.domain.article import Article
from bot.domain.turn import Turn
from bot.domain.usage import CallRecord, Usage
from bot.slack.workspace import WorkspaceArticles, WorkspaceResults
from bot.store import Store, tables
from bot.store.engine import create_engine, writer
from bot.store.migrations import LATEST_VERSION, current_version, migrate
from bot.store.tables import UTCDateTime

if TYPE_CHECKING:
    from tests.store_fixtures import FakeClock

pytest_plugins = ["tests.store_fixtures"]

TEAMS = ("T-ALPHA", "T-BRAVO")
ORG = "E-ORG"
CHANNEL, THREAD = "C-SHARED", "1700000000.000100"
PASTED = Article.build(
    ["Confidential: the board meets on Friday to vote on the merger.", "Keep this quiet."],
    title="Pasted memo",
    source_kind="pasted",
)
PUBLIC = Article.build(
    ["The harbour council approved the tidal pilot.", "Work starts in May."],
    title="Tidal pilot",
    url="https://news.example/tidal",
    source_kind="html",
)


async def test_threads_and_turns_of_one_team_are_invisible_to_the_other(store: Store) -> None:
    alpha, bravo = TEAMS
    await store.set_thread_article(CHANNEL, THREAD, team=alpha, content_hash="hA", summary_ts="1")
    await store.add_turn(CHANNEL, THREAD, team=alpha, question="q", answer="a", content_hash="hA")
    # Same channel and thread ts, other team: nothing there.
    assert await store.get_thread(CHANNEL, THREAD, team=bravo) is None
    assert await store.get_turns(CHANNEL, THREAD, team=bravo) == []
    # The other team's own thread at the same coordinates is its own, and changes nothing.
    await store.set_thread_article(CHANNEL, THREAD, team=bravo, content_hash="hA")
    assert await store.get_turns(CHANNEL, THREAD, team=bravo) == []
    await store.add_turn(CHANNEL, THREAD, team=bravo, question="q2", answer="a2", content_hash="hA")
    mine = await store.get_thread(CHANNEL, THREAD, team=alpha)
    assert mine is not None and (mine.team, mine.summary_ts) == (alpha, "1")
    assert await store.get_turns(CHANNEL, THREAD, team=alpha) == [Turn(question="q", answer="a")]
    assert await store.get_turns(CHANNEL, THREAD, team=bravo) == [Turn(question="q2", answer="a2")]


async def test_pasted_text_is_read_only_by_its_team(store: Store) -> None:
    alpha, bravo = TEAMS
    await WorkspaceArticles(store, alpha).put_article(PASTED)
    assert await store.get_team_article(alpha, PASTED.content_hash) == PASTED
    assert await store.get_team_article(bravo, PASTED.content_hash) is None
    # Not in the shared cache either, where any workspace (or the CLI) would find it.
    assert await store.get_article(PASTED.content_hash) is None


async def test_public_urls_share_the_fetch_cache(store: Store) -> None:
    """A fetched public page is the same for everyone: one copy, readable by each team."""
    alpha, bravo = TEAMS
    url = "https://news.example/tidal"
    await WorkspaceArticles(store, alpha).put_article(PUBLIC, normalized_url=url)
    assert await WorkspaceArticles(store, bravo).get_article_for_url(url) == PUBLIC
    assert await store.get_team_article(bravo, PUBLIC.content_hash) == PUBLIC


async def test_results_are_cached_per_team(store: Store) -> None:
    alpha, bravo = TEAMS
    await WorkspaceResults(store, alpha).put_result("h|v1|model|summary", '{"made": "alpha"}')
    assert await WorkspaceResults(store, alpha).get_result("h|v1|model|summary") is not None
    assert await WorkspaceResults(store, bravo).get_result("h|v1|model|summary") is None
    assert await store.get_result("h|v1|model|summary") is None  # nor unscoped (CLI)


async def test_quota_counts_only_the_users_own_workspace(store: Store, clock: FakeClock) -> None:
    alpha, bravo = TEAMS
    for i, team in enumerate((alpha, alpha, bravo)):
        job = await store.record_request(
            event_id=f"E{i}",
            channel=CHANNEL,
            ts=f"5.{i}",
            kind="summary",
            payload={},
            team=team,
            user="U-SAME",  # Enterprise Grid: one user id across workspaces
            thread_ts=f"5.{i}",
        )
        assert job is not None
    assert await store.count_requests(team=alpha, user="U-SAME", since=clock.now) == 2
    assert await store.count_requests(team=bravo, user="U-SAME", since=clock.now) == 1


_OLD = MetaData()
_old_threads = Table(  # threads as schema v3 had them: keyed by channel and ts only
    "threads",
    _OLD,
    Column("channel", String(64), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("summary_ts", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


async def test_upgrade_from_v3_gives_threads_and_turns_their_team(db_url: str) -> None:
    """A v3 database: its threads and turns take the team of their thread's jobs."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    engine = create_engine(db_url)
    async with writer(engine).begin() as conn:
        assert await conn.run_sync(migrate, target=3) == 3
        await conn.execute(text("DROP TABLE threads"))
        await conn.run_sync(_old_threads.create)
        await conn.execute(text("DROP INDEX ix_turns_team_created"))
        await conn.execute(text("ALTER TABLE turns DROP COLUMN team"))
        await conn.execute(
            _old_threads.insert(),
            [
                {"channel": "C1", "thread_ts": "1.1", "content_hash": "h1", "created_at": at,
                 "updated_at": at},
                {"channel": "C9", "thread_ts": "9.9", "content_hash": "h9", "created_at": at,
                 "updated_at": at},
            ],
        )  # fmt: skip
        await conn.execute(
            text(
                'INSERT INTO jobs (kind, payload, channel, thread_ts, ts, team, "user", status,'
                " attempts, created_at, note) VALUES ('summary', '{}', 'C1', '1.1', '1.1',"
                " 'T-OLD', 'U1', 'done', 1, :at, '')"
            ),
            {"at": at},
        )
        await conn.execute(
            text(
                "INSERT INTO turns (channel, thread_ts, content_hash, question, answer,"
                " created_at) VALUES ('C1', '1.1', 'h1', 'q', 'a', :at)"
            ),
            {"at": at},
        )
    await engine.dispose()

    async with await Store.open(db_url) as upgraded:
        async with upgraded.engine.connect() as conn:
            assert await conn.run_sync(current_version) == LATEST_VERSION
        state = await upgraded.get_thread("C1", "1.1", team="T-OLD")
        assert state is not None and state.content_hash == "h1"
        assert await upgraded.get_turns("C1", "1.1", team="T-OLD") == [
            Turn(question="q", answer="a")
        ]
        # A thread with no job to tell its team keeps "" (reachable by no workspace).
        assert await upgraded.get_thread("C9", "9.9", team="") is not None
        # The new key lets two teams hold the same thread.
        await upgraded.set_thread_article("C1", "1.1", team="T-NEW", content_hash="h2")
        assert (await upgraded.get_thread("C1", "1.1", team="T-OLD")).content_hash == "h1"  # type: ignore[union-attr]


# --- a workspace leaving ---------------------------------------------------------------------


async def _fill(store: Store, team: str, n: int) -> int:
    """Everything a workspace leaves behind: a job, a thread, turns, a pasted text, a cached
    result, usage, a 👍 on the reply and an assistant-pane thread; returns the job id."""
    job = await store.record_request(
        event_id=f"E-{team}",
        channel=CHANNEL,
        ts=f"6.{n}",
        kind="summary",
        payload={"text": "secret"},
        team=team,
        user=f"U-{team}",
        thread_ts=THREAD,
    )
    assert job is not None
    await WorkspaceArticles(store, team).put_article(PASTED)
    await store.set_thread_article(CHANNEL, THREAD, team=team, content_hash=PASTED.content_hash)
    await store.add_turn(
        CHANNEL, THREAD, team=team, question="q", answer="a", content_hash=PASTED.content_hash
    )
    await WorkspaceResults(store, team).put_result("k", "v")
    usage = Usage(calls=1, prompt_tokens=10)
    record = CallRecord(task="summary", model="m", usage=usage, latency_ms=5.0, mode="job")
    await store.record_usage(record, team=team, channel=CHANNEL, user=f"U-{team}")
    await store.record_feedback(
        job_id=job.id, kind="summary", team=team, channel=CHANNEL, user=f"U-{team}", value="good"
    )
    await store.save_pane_context(
        f"D-PANE-{n}", f"8.{n}", team=team, user=f"U-{team}", context_channel=CHANNEL
    )
    await store.note_enterprise(team, ORG)  # both teams are workspaces of one Grid org
    return job.id


async def _rows(store: Store, table: str, where: str = "") -> int:
    async with store.engine.connect() as conn:
        found = await conn.scalar(text(f"SELECT COUNT(*) FROM {table} {where}"))
    return int(found or 0)


async def test_erasing_a_team_deletes_its_content_and_nothing_else(store: Store) -> None:
    alpha, bravo = TEAMS
    alpha_job = await _fill(store, alpha, 1)
    bravo_job = await _fill(store, bravo, 2)
    await WorkspaceArticles(store, alpha).put_article(PUBLIC, normalized_url="https://x.example/")
    before = await store.usage_totals("team")

    erased = await store.erase_team(alpha)

    team_tables = ("jobs", "threads", "turns", "team_articles", "feedback", "assistant_threads")
    for table in (*team_tables, "workspaces"):
        assert await _rows(store, table, f"WHERE team = '{alpha}'") == 0, table
        assert await _rows(store, table, f"WHERE team = '{bravo}'") >= 1, table
    assert erased.deleted == {
        "turns": 1,
        "threads": 1,
        "team_articles": 1,
        "feedback": 1,
        "assistant_threads": 1,
        "jobs": 1,
        "workspaces": 1,
        "results": 1,
    }
    # The job's dedupe key went with it (cascade); the other team's stayed.
    assert await _rows(store, "seen_events", f"WHERE job_id = {alpha_job}") == 0
    assert await _rows(store, "seen_events", f"WHERE job_id = {bravo_job}") == 1
    assert await store.get_job(alpha_job) is None
    assert await store.get_team_article(alpha, PASTED.content_hash) is None
    assert await store.get_team_article(bravo, PASTED.content_hash) == PASTED
    assert await WorkspaceResults(store, alpha).get_result("k") is None
    assert await WorkspaceResults(store, bravo).get_result("k") == "v"
    assert await store.get_article(PUBLIC.content_hash) == PUBLIC  # the shared cache stays
    # Usage: the totals are whole, but nothing names the workspace, its channels or users.
    after = await store.usage_totals("team")
    assert sum(u.prompt_tokens for u in after.values()) == sum(
        u.prompt_tokens for u in before.values()
    )
    assert alpha not in after and bravo in after
    assert erased.anonymised_usage == 1
    assert f"U-{alpha}" not in await store.usage_totals("user")
    # Nothing of alpha is left in any column of any table.
    async with store.engine.connect() as conn:
        for table in tables.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String | Text):
                    hits = await conn.scalar(
                        select(func.count()).select_from(table).where(column.contains(alpha))
                    )
                    assert hits == 0, f"{table.name}.{column.name} still holds {alpha}"
    assert (await store.erase_team(alpha)).total == 0  # idempotent


async def test_a_gone_channel_drops_only_its_own_pending_jobs(store: Store) -> None:
    alpha, bravo = TEAMS
    ids = {}
    for i, (team, channel) in enumerate(
        ((alpha, "C-GONE"), (alpha, "C-GONE"), (alpha, "C-OTHER"), (bravo, "C-GONE"))
    ):
        job = await store.record_request(
            event_id=f"G{i}",
            channel=channel,
            ts=f"7.{i}",
            kind="summary",
            payload={},
            team=team,
            user="U1",
            thread_ts=f"7.{i}",
        )
        assert job is not None
        ids[i] = job.id
    running = await store.claim_job(ids[1], worker="w", lease_s=60)  # already running: left alone
    assert running is not None
    assert await store.drop_channel_jobs(alpha, "C-GONE", note="slack channel_archive") == 1
    statuses = {i: (await store.get_job(job_id)).status for i, job_id in ids.items()}  # type: ignore[union-attr]
    assert statuses == {0: "failed", 1: "running", 2: "pending", 3: "pending"}
    assert [j.id for j in await store.unfinished_jobs()] == [ids[2], ids[3]]


async def test_grid_orgs_follow_what_events_say(store: Store) -> None:
    """Which org each workspace is in: noted, changed, forgotten; never another org's teams."""
    alpha, bravo = TEAMS
    assert await store.enterprise_of(alpha) is None
    await store.note_enterprise(alpha, ORG)
    await store.note_enterprise(bravo, ORG)
    await store.note_enterprise("T-CHARLIE", "E-OTHER")
    assert await store.enterprise_of(alpha) == ORG
    assert await store.teams_of_enterprise(ORG) == [alpha, bravo]
    assert await store.teams_of_enterprise("E-OTHER") == ["T-CHARLIE"]
    await store.note_enterprise(bravo, "E-OTHER")  # moved to another org
    assert await store.teams_of_enterprise(ORG) == [alpha]
    await store.note_enterprise(alpha, None)  # left Grid: standalone again
    assert await store.enterprise_of(alpha) is None and await store.teams_of_enterprise(ORG) == []
    assert await store.teams_of_enterprise("E-OTHER") == [bravo, "T-CHARLIE"]
