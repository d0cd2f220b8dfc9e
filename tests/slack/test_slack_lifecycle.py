"""A workspace leaving and channels going away, delivered by the fake Slack as Slack sends them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store import Store
from tests.fakes.openai_server import Reply
from tests.fakes.slack import events
from tests.slack.harness import CHANNEL, BotHarness, is_summary, running_bot

pytestmark = pytest.mark.slow
TEAM = events.TEAM_ID


@pytest.fixture(params=["socket", "http"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, request.param) as h:
        yield h


def _store(h: BotHarness) -> Store:
    assert h.bot is not None
    return h.bot.ctx.store


async def _team_rows(store: Store, team: str) -> dict[str, int]:
    counts = {}
    async with store.engine.connect() as conn:
        for table in ("jobs", "threads", "turns", "team_articles"):
            found = await conn.scalar(
                text(f"SELECT COUNT(*) FROM {table} WHERE team = :team"), {"team": team}
            )
            counts[table] = int(found or 0)
    return counts


async def _team_results(store: Store) -> int:
    async with store.engine.connect() as conn:
        found = await conn.scalar(
            text(f"SELECT COUNT(*) FROM results WHERE key LIKE 'team={TEAM}|%'")
        )
    return int(found or 0)


async def _conversation(h: BotHarness) -> str:
    """A summary and one answered question: the workspace has a thread, turns and usage."""
    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    await h.wait_replies(message.ts, lambda rs: any(is_summary(r) for r in rs))
    await h.wait_idle()
    await h.say("How many permanent jobs will the project bring?", thread_ts=message.ts)
    await h.wait_replies(message.ts, lambda rs: len(rs) == 2)
    await h.wait_idle()
    return message.ts


async def test_uninstall_deletes_the_workspace_data(harness: BotHarness) -> None:
    h = harness
    thread = await _conversation(h)
    store = _store(h)
    assert (
        all(n >= 1 for n in (await _team_rows(store, TEAM)).values() if n)
        and (await _team_rows(store, TEAM))["turns"] == 1
    )
    tokens_before = sum(u.prompt_tokens for u in (await store.usage_totals("team")).values())
    assert tokens_before > 0

    h.slack.workspace.revoked = True  # Slack revokes the tokens, then sends the event
    assert await h.deliver(events.app_uninstalled()) == 200

    assert await _team_rows(store, TEAM) == {
        "jobs": 0,
        "threads": 0,
        "turns": 0,
        "team_articles": 0,
    }
    totals = await store.usage_totals("team")
    assert TEAM not in totals
    assert sum(u.prompt_tokens for u in totals.values()) == tokens_before  # anonymised, kept
    assert set(await store.usage_totals("user")) == {""}
    # The old thread is no longer the bot's: a message there records nothing.
    await h.say("And who voted against?", thread_ts=thread)
    await asyncio.sleep(0.3)
    assert (await _team_rows(store, TEAM))["jobs"] == 0


async def test_uninstall_stops_a_job_in_flight(harness: BotHarness) -> None:
    """A summary waiting on the LLM when the workspace leaves: cancelled, and nothing it would
    have written afterwards (thread, usage, reply) appears."""
    h = harness
    assert h.llm is not None
    h.llm.script_for("summary", Reply(stall=True))
    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    await h.slack.wait_for_async(lambda: any(r.task == "summary" for r in h.llm.chat_requests))
    assert h.bot is not None and h.bot.runner.busy
    store = _store(h)

    h.slack.workspace.revoked = True
    assert await h.deliver(events.app_uninstalled()) == 200

    await h.wait_idle(timeout=5)
    assert await _team_rows(store, TEAM) == {
        "jobs": 0,
        "threads": 0,
        "turns": 0,
        "team_articles": 0,
    }
    assert await store.usage_totals("team") == {}
    assert not any(is_summary(r) for r in h.replies(message.ts))


async def test_only_a_revoked_bot_token_deletes(harness: BotHarness) -> None:
    h = harness
    await _conversation(h)
    store = _store(h)
    await h.deliver(events.tokens_revoked(bot=[], oauth=[events.USER_ID]))
    assert (await _team_rows(store, TEAM))["threads"] == 1  # a user token: nothing to do
    await h.deliver(events.tokens_revoked(bot=[h.slack.bot_user_id]))
    assert await _team_rows(store, TEAM) == {
        "jobs": 0,
        "threads": 0,
        "turns": 0,
        "team_articles": 0,
    }


@pytest.mark.parametrize("gone", ["archive", "deleted"])
async def test_a_gone_channel_drops_its_pending_jobs(harness: BotHarness, gone: str) -> None:
    h = harness
    store = _store(h)
    # Pending jobs (accepted, not started: e.g. waiting out a Slack backoff) in two channels.
    waiting = []
    for channel in (CHANNEL, "C0OTHER"):
        job = await store.record_request(
            event_id=None,
            channel=channel,
            ts=f"1700000001.{len(waiting)}",
            kind="summary",
            payload={"text": "x"},
            team=TEAM,
            user=events.USER_ID,
            thread_ts="1700000001.0",
        )
        assert job is not None
        # Requeued by another replica after a Slack fault: pending, not before five minutes.
        assert await store.claim_job(job.id, worker="replica-2", lease_s=60) is not None
        await store.requeue_job(job.id, worker="replica-2", delay_s=300, note="slack ratelimited")
        waiting.append(job.id)
    event = (
        events.channel_archive(CHANNEL) if gone == "archive" else events.channel_deleted(CHANNEL)
    )
    assert await h.deliver(event) == 200
    dropped, other = [await store.get_job(job_id) for job_id in waiting]
    assert dropped is not None and (dropped.status, dropped.note) == (
        "failed",
        f"slack {event['type']}",
    )
    assert other is not None and other.status == "pending"
