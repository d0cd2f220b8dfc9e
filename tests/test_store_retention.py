"""Retention (DATA_RETENTION_DAYS) and `articlebot purge`, on SQLite and PostgreSQL.

Properties: a purge deletes exactly what its selection names (age, team, channel) and nothing
else; a dry run counts the same rows and deletes none; unfinished jobs and usage totals stay.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from bot.domain.article import Article
from bot.domain.usage import CallRecord, Usage
from bot.slack.workspace import WorkspaceArticles, WorkspaceResults
from bot.store import Store
from bot.store.retention import Purge

if TYPE_CHECKING:
    from tests.store_fixtures import FakeClock

pytest_plugins = ["tests.store_fixtures"]

CONTENT_TABLES = ("jobs", "threads", "turns", "team_articles", "feedback", "assistant_threads")


def _pasted(tag: str) -> Article:
    return Article.build([f"Memo {tag}: the board meets on Friday.", "Keep it quiet."], title=tag)


def _public(tag: str) -> Article:
    return Article.build(
        [f"Public story {tag} about tides.", "Work starts in May."],
        title=tag,
        url=f"https://news.example/{tag}",
        source_kind="html",
    )


async def _fill(store: Store, team: str, channel: str, tag: str, *, finish: bool = True) -> None:
    """One conversation: a finished job, a thread, a turn, a pasted text, a result, usage, a 👍,
    an assistant-pane thread looking at the channel, and a public article in the shared cache."""
    job = await store.record_request(
        event_id=f"E-{tag}",
        channel=channel,
        ts=f"{tag}.1",
        kind="summary",
        payload={},
        team=team,
        user="U1",
        thread_ts=f"{tag}.1",
    )
    assert job is not None
    if finish:
        await store.finish_job(job.id, status="done")
    pasted = _pasted(tag)
    await WorkspaceArticles(store, team).put_article(pasted)
    await store.set_thread_article(channel, f"{tag}.1", team=team, content_hash=pasted.content_hash)
    await store.add_turn(
        channel, f"{tag}.1", team=team, question="q", answer="a", content_hash=pasted.content_hash
    )
    await WorkspaceResults(store, team).put_result(f"{pasted.content_hash}|k", "v")
    await store.put_article(_public(tag), normalized_url=f"https://news.example/{tag}")
    await store.put_result(f"shared-{tag}", "v")
    usage = CallRecord(
        task="summary", model="m", usage=Usage(calls=1, prompt_tokens=7), latency_ms=1, mode="job"
    )
    await store.record_usage(usage, team=team, channel=channel, user="U1")
    await store.record_feedback(
        job_id=job.id, kind="summary", team=team, channel=channel, user="U1", value="good"
    )
    await store.save_pane_context(
        f"D-{tag}", f"{tag}.9", team=team, user="U1", context_channel=channel
    )


async def _count(store: Store, table: str, where: str = "") -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(text(f"SELECT COUNT(*) FROM {table} {where}")) or 0)


async def _snapshot(store: Store) -> dict[str, int]:
    names = (*CONTENT_TABLES, "results", "articles", "article_urls", "usage", "seen_events")
    return {name: await _count(store, name) for name in names}


async def test_the_sweeper_deletes_only_content_older_than_the_retention(
    store: Store, clock: FakeClock
) -> None:
    await _fill(store, "T1", "C1", "old")
    await _fill(store, "T2", "C2", "oldlive", finish=False)  # an old job still unfinished
    clock.advance(timedelta(days=31).total_seconds())
    await _fill(store, "T1", "C1", "new")
    assert await store.sweep_expired(0) == {}  # 0: keep forever

    deleted = await store.sweep_expired(30)

    after = await _snapshot(store)
    assert after["threads"] == 1 and after["turns"] == 1 and after["team_articles"] == 1
    assert after["feedback"] == 1 and after["assistant_threads"] == 1
    assert await store.get_thread("C1", "new.1", team="T1") is not None
    assert await store.get_thread("C1", "old.1", team="T1") is None
    assert await store.get_team_article("T1", _pasted("old").content_hash) is None
    assert await store.get_article(_public("old").content_hash) is None
    assert await store.get_article(_public("new").content_hash) is not None
    assert await store.get_result("shared-old") is None and await store.get_result("shared-new")
    assert await WorkspaceResults(store, "T1").get_result(f"{_pasted('new').content_hash}|k")
    # The unfinished job stays (its worker would write again); usage is not content.
    assert [j.team for j in await store.unfinished_jobs()] == ["T2"]
    assert after["usage"] == 3
    assert deleted["jobs"] == 1 and deleted["threads"] == 2 and deleted["articles"] == 2


async def test_a_dry_run_counts_what_the_purge_then_deletes(store: Store) -> None:
    await _fill(store, "T1", "C1", "a")
    await _fill(store, "T1", "C2", "b")
    await _fill(store, "T2", "C1", "c")
    before = await _snapshot(store)
    selection = Purge(team="T1", channel="C1")

    counted = await store.purge(selection, dry_run=True)
    assert await _snapshot(store) == before  # nothing deleted
    deleted = await store.purge(selection)
    assert deleted == counted
    assert deleted["threads"] == deleted["turns"] == deleted["jobs"] == 1
    assert deleted["team_articles"] == 1  # the pasted text no thread of T1 reads any more
    assert deleted["assistant_threads"] == 1  # the pane (in a DM) that was looking at C1
    # Only T1's C1 conversation went: T1's C2 and T2's C1 are whole; the shared cache too.
    assert await store.get_thread("C1", "a.1", team="T1") is None
    assert await store.get_thread("C2", "b.1", team="T1") is not None
    assert await store.get_thread("C1", "c.1", team="T2") is not None
    assert await store.get_team_article("T1", _pasted("b").content_hash) is not None
    after = await _snapshot(store)
    for shared in ("articles", "article_urls", "usage"):
        assert after[shared] == before[shared], shared


async def test_purging_a_channel_takes_the_panes_that_looked_at_it(store: Store) -> None:
    await _fill(store, "T1", "C1", "a")
    await _fill(store, "T1", "C2", "b")
    deleted = await store.purge(Purge(channel="C1"))
    assert deleted["assistant_threads"] == 1 and deleted["threads"] == 1
    assert await store.pane_thread("D-a", "a.9", team="T1") is None
    assert await store.pane_thread("D-b", "b.9", team="T1") is not None


async def test_purging_a_team_leaves_the_others(store: Store) -> None:
    await _fill(store, "T1", "C1", "a")
    await _fill(store, "T2", "C1", "b")
    deleted = await store.purge(Purge(team="T1"))
    assert deleted["results"] == 1  # T1's own result; shared results are not a team's
    for table in CONTENT_TABLES:
        assert await _count(store, table, "WHERE team = 'T1'") == 0, table
        assert await _count(store, table, "WHERE team = 'T2'") == 1, table
    assert await WorkspaceResults(store, "T2").get_result(f"{_pasted('b').content_hash}|k")


def test_an_empty_selection_is_refused() -> None:
    with pytest.raises(ValueError, match="needs an age, a team or a channel"):
        Purge()


def _cli(tmp_path: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "OPENAI_"))}
    env |= {"DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path), "DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", "purge", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_purge_command(db_url: str, tmp_path: Path) -> None:
    async with await Store.open(db_url) as store:
        await _fill(store, "T1", "C1", "a")
        await _fill(store, "T2", "C1", "b")
        before = await _snapshot(store)

    dry = _cli(tmp_path, db_url, "--team", "T1", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would delete 7 row(s) (dry run: nothing was deleted)" in dry.stdout
    async with await Store.open(db_url) as store:
        assert await _snapshot(store) == before

    done = _cli(tmp_path, db_url, "--team", "T1", "--older-than", "0d")
    assert done.returncode == 2 and "positive age" in done.stderr  # 0d would be "everything"
    done = _cli(tmp_path, db_url, "--team", "T1")
    assert done.returncode == 0 and "deleted 7 row(s)" in done.stdout
    async with await Store.open(db_url) as store:
        assert await store.get_thread("C1", "a.1", team="T1") is None
        assert await store.get_thread("C1", "b.1", team="T2") is not None

    for bad in ([], ["--older-than", "soon"]):
        refused = _cli(tmp_path, db_url, *bad)
        assert refused.returncode == 2 and refused.stderr.startswith("articlebot: ")
        assert len(refused.stderr.strip().splitlines()) == 1
