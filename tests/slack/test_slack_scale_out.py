"""Scale-out: two replicas of the bot (HTTP mode, OAuth) on one database serve two workspaces.

An install may start on one replica and come back to the other (the OAuth state is in the
database); each workspace's events may reach either replica; each reply goes out with its own
workspace's token; nothing of one workspace is read for the other, even in a channel both
share; one workspace leaving takes only its own data.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import inspect, text

from bot.slack.app import SlackBot
from bot.slack.oauth import open_distribution
from bot.store import Store
from tests.fakes.slack import events
from tests.fakes.slack.oauth import CLIENT_ID, CLIENT_SECRET
from tests.slack.harness import (
    CHANNEL,
    SIGNING_SECRET,
    BotHarness,
    is_summary,
    running_replicas,
    tokens_used,
)
from tests.slack.test_slack_oauth import STATE_COOKIE, _start_install

pytestmark = pytest.mark.slow
pytest_plugins = ["tests.store_fixtures"]
OAUTH = {
    "slack_bot_token": None,
    "slack_client_id": CLIENT_ID,
    "slack_client_secret": CLIENT_SECRET,
}
SECOND = "T0SECOND"
REPLICAS = 4


@pytest.fixture
async def replicas(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[BotHarness, SlackBot]]:
    async with running_replicas(tmp_path, db_url, **OAUTH) as both:
        yield both


async def _http(port: int | None, method: str, path: str, **kw: Any) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"http://127.0.0.1:{port}{path}", **kw) as response,
    ):
        await response.read()
        return response.status


async def _deliver(port: int | None, h: BotHarness, event: dict[str, Any], team: str) -> int:
    body = json.dumps(h.slack.event_body(event, team_id=team)).encode()
    headers = {"Content-Type": "application/json", **h.slack.sign(body, SIGNING_SECRET)}
    return await _http(port, "POST", "/slack/events", data=body, headers=headers)


def _acting_calls(h: BotHarness) -> list[Any]:
    """Calls that would show something in Slack (posts, edits, reactions, status)."""
    return [c for c in h.slack.calls if c.method.startswith(("chat.", "reactions.", "assistant."))]


async def _threads(h: BotHarness) -> set[tuple[str, str, str]]:
    assert h.bot is not None
    async with h.bot.ctx.store.engine.connect() as conn:
        rows = await conn.execute(text("SELECT team, channel, thread_ts FROM threads"))
        return {(r[0], r[1], r[2]) for r in rows}


async def test_two_replicas_serve_two_workspaces_apart(
    replicas: tuple[BotHarness, SlackBot],
) -> None:
    a, b = replicas
    assert a.bot is not None
    other = a.slack.add_workspace(SECOND)
    # Installs: W1 starts on A and returns to B; W2 starts on B... via A's page, returns to A.
    for workspace, back_to in ((None, b.port), (other, a.bot.port)):
        state = await _start_install(a)
        code = a.slack.oauth.approve(workspace)
        status = await _http(
            back_to,
            "GET",
            f"/slack/oauth_redirect?code={code}&state={state}",
            headers={"Cookie": f"{STATE_COOKIE}={state}"},
        )
        assert status == 200

    # The same channel in both workspaces (a shared channel): W1's mention reaches replica B,
    # W2's reaches replica A.
    link = f"<@{a.slack.bot_user_id}> <{a.web.url('/tidal')}>"
    first, first_event = a.slack.user_message(CHANNEL, link)
    second, second_event = a.slack.user_message(CHANNEL, link)
    assert await _deliver(b.port, a, first_event, events.TEAM_ID) == 200
    assert await _deliver(a.bot.port, a, second_event, SECOND) == 200
    for message in (first, second):
        await a.wait_replies(message.ts, lambda rs: any(is_summary(r) for r in rs))
    await a.slack.wait_for_async(lambda: not a.bot.runner.busy and not b.runner.busy)  # type: ignore[union-attr]

    assert tokens_used(a.slack, first.ts) == {a.slack.bot_token}
    assert tokens_used(a.slack, second.ts) == {other.bot_token}
    assert await _threads(a) == {
        (events.TEAM_ID, CHANNEL, first.ts),
        (SECOND, CHANNEL, second.ts),
    }

    # Someone of W2 writes in W1's thread (no mention): not W2's thread, so nothing happens.
    acted = len(_acting_calls(a))
    _, stray = a.slack.user_message(CHANNEL, "And who voted against?", thread_ts=first.ts)
    assert await _deliver(b.port, a, stray, SECOND) == 200
    assert len(_acting_calls(a)) == acted  # (bolt's auth.test of the event aside)
    assert len(a.replies(first.ts)) == 1

    # W2 uninstalls (event on replica B): W1 is untouched and still answered.
    other.revoked = True
    assert await _deliver(b.port, a, events.app_uninstalled(), SECOND) == 200
    assert await _threads(a) == {(events.TEAM_ID, CHANNEL, first.ts)}
    _, follow_up = a.slack.user_message(CHANNEL, "Who voted against?", thread_ts=first.ts)
    assert await _deliver(a.bot.port, a, follow_up, events.TEAM_ID) == 200
    await a.wait_replies(first.ts, lambda rs: len(rs) == 2)


async def test_replicas_starting_together_on_an_empty_database_all_start(
    db_url: str, make_settings: Any
) -> None:
    """Several replicas open the store and the OAuth stores on a fresh database at once: the
    schema and slack_sdk's tables are created once, under the migration lock, and none fails."""
    settings = make_settings(database_url=db_url, slack_api_url="http://127.0.0.1:9/", **OAUTH)

    async def start_replica() -> Store:
        store = await Store.open(db_url)
        try:
            distribution = await open_distribution(settings, store)
        except BaseException:
            await store.close()
            raise
        assert (
            await distribution.installations.async_find_bot(enterprise_id=None, team_id="T") is None
        )
        return store

    started = await asyncio.gather(
        *(start_replica() for _ in range(REPLICAS)), return_exceptions=True
    )
    try:
        failures = [r for r in started if isinstance(r, BaseException)]
        assert failures == []
    finally:
        for store in started:
            if isinstance(store, Store):
                await store.close()
    async with await Store.open(db_url) as store, store.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert {"slack_bots", "slack_installations", "slack_oauth_states", "workspaces"} <= names
