"""OAuth distribution end to end: install through bolt's flow against the fake Slack's
`oauth.v2.access`, then work in the installed workspace with its own token; bad callbacks,
unknown workspaces and contradictory settings."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from sqlalchemy import text

from bot.slack.app import SlackBot
from bot.slack.web_api import SlackConfigError
from tests.fakes.openai_server import Reply
from tests.fakes.slack import events
from tests.fakes.slack.oauth import CLIENT_ID, CLIENT_SECRET
from tests.slack.harness import SIGNING_SECRET, BotHarness, is_summary, running_bot

pytestmark = pytest.mark.slow
STATE_COOKIE = "slack-app-oauth-state"
OAUTH = {
    "slack_bot_token": None,
    "slack_client_id": CLIENT_ID,
    "slack_client_secret": CLIENT_SECRET,
}


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, "http", **OAUTH) as h:
        yield h


async def _get(h: BotHarness, path: str, cookie: str | None = None) -> tuple[int, str, Any]:
    assert h.bot is not None and h.bot.port is not None
    headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{h.bot.port}{path}", headers=headers) as response,
    ):
        return response.status, await response.text(), response.cookies


async def _start_install(h: BotHarness) -> str:
    """Open /slack/install as a browser would; returns the state (in the link and cookie)."""
    status, page, cookies = await _get(h, "/slack/install")
    assert status == 200
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page)
    assert link is not None, page
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert "chat:write" in query["scope"][0].split(",")
    state = query["state"][0]
    assert cookies[STATE_COOKIE].value == state
    return state


async def _installed_bots(h: BotHarness) -> list[str]:
    assert h.bot is not None
    async with h.bot.ctx.store.engine.connect() as conn:
        rows = await conn.execute(text("SELECT team_id FROM slack_bots"))
        return [row[0] for row in rows]


async def test_install_then_answer_with_the_installed_token(harness: BotHarness) -> None:
    h = harness
    state = await _start_install(h)
    code = h.slack.oauth.approve()
    status, page, _ = await _get(h, f"/slack/oauth_redirect?code={code}&state={state}", state)
    assert status == 200, page
    assert await _installed_bots(h) == [events.TEAM_ID]
    assert h.slack.oauth.exchanged == [code]
    # The installed workspace mentions the bot: the reply uses that installation's token.
    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    await h.wait_replies(message.ts, lambda rs: any(is_summary(r) for r in rs))
    posts = h.slack.calls_to("chat.postMessage") + h.slack.calls_to("chat.update")
    assert posts and {call.token for call in posts} == {h.slack.bot_token}

    # The same state again (a replayed redirect): refused, nothing new exchanged.
    again = h.slack.oauth.approve()
    status, _, _ = await _get(h, f"/slack/oauth_redirect?code={again}&state={state}", state)
    assert status == 401
    assert h.slack.oauth.exchanged == [code]

    # Uninstalled: the installation goes with the data, and the next event is dropped.
    h.slack.workspace.revoked = True
    assert await h.deliver(events.app_uninstalled()) == 200
    assert await _installed_bots(h) == []
    before = len(h.slack.calls)
    late, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    await asyncio.sleep(0.3)
    assert h.replies(late.ts) == [] and len(h.slack.calls) == before


async def test_bad_callbacks_install_nothing(harness: BotHarness) -> None:
    h = harness
    state = await _start_install(h)
    code = h.slack.oauth.approve()
    # No state at all, or a state without its browser cookie: refused before any exchange.
    assert (await _get(h, f"/slack/oauth_redirect?code={code}"))[0] == 400
    assert (await _get(h, f"/slack/oauth_redirect?code={code}&state={state}"))[0] == 400
    # The user pressed Cancel on Slack's page.
    status, page, _ = await _get(
        h, f"/slack/oauth_redirect?error=access_denied&state={state}", state
    )
    assert status == 200 and "access_denied" in page
    # A state nobody issued.
    assert (await _get(h, f"/slack/oauth_redirect?code={code}&state=forged", "forged"))[0] == 401
    # A code Slack does not know.
    status, _, _ = await _get(h, f"/slack/oauth_redirect?code=bogus&state={state}", state)
    assert status == 401
    assert await _installed_bots(h) == [] and h.slack.oauth.exchanged == []


async def test_an_expired_state_is_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "http", slack_oauth_state_seconds=1, **OAUTH) as h:
        state = await _start_install(h)
        await asyncio.sleep(1.5)
        code = h.slack.oauth.approve()
        status, _, _ = await _get(h, f"/slack/oauth_redirect?code={code}&state={state}", state)
        assert status == 401
        assert await _installed_bots(h) == []


async def test_an_event_from_a_workspace_without_installation_is_dropped(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    _, event = h.slack.user_message("C0NEWS", f"<@{h.slack.bot_user_id}> <{h.web.url('/tidal')}>")
    body = json.dumps(h.slack.event_body(event, team_id="T0NOBODY")).encode()
    headers = {"Content-Type": "application/json", **h.slack.sign(body, SIGNING_SECRET)}
    assert await h.post_raw(body, headers) == 200
    assert h.bot is not None
    assert await h.bot.ctx.store.unfinished_jobs() == []
    assert "AuthorizeResult" in caplog.text or "no installation" in caplog.text


@pytest.mark.parametrize(
    ("overrides", "http", "says"),
    [
        ({"slack_client_id": CLIENT_ID, "slack_bot_token": None}, True, "Set both"),
        ({"slack_client_id": CLIENT_ID, "slack_client_secret": CLIENT_SECRET}, True, "exclude"),
        (OAUTH, False, "needs HTTP mode"),
    ],
)
async def test_contradictory_settings_stop_at_start(
    make_settings, overrides: dict[str, Any], http: bool, says: str
) -> None:
    """Never bolt's silent fallback to file-based stores: one line naming the settings."""
    base = {
        "slack_bot_token": "xoxb-1-2-unused",
        "slack_app_token": "xapp-1-unused",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": "http://127.0.0.1:9/",
    }
    settings = make_settings(**(base | overrides))
    with pytest.raises(SlackConfigError, match=says):
        await SlackBot.start(settings, http=http, port=0)


async def test_a_token_revoked_mid_job_stops_the_job_once(harness: BotHarness) -> None:
    """The workspace's token dies while its summary is being written: the job stops at the
    next Slack call, is not requeued, and nothing is retried in a loop."""
    h = harness
    assert h.llm is not None
    state = await _start_install(h)
    code = h.slack.oauth.approve()
    assert (await _get(h, f"/slack/oauth_redirect?code={code}&state={state}", state))[0] == 200
    h.llm.script_for("summary", Reply(delay=1.0))
    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    await h.slack.wait_for_async(lambda: any(r.task == "summary" for r in h.llm.chat_requests))
    h.slack.workspace.revoked = True  # e.g. an admin revoked it; no event yet
    await h.wait_idle(timeout=20)

    assert h.bot is not None
    async with h.bot.ctx.store.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT status, note, attempts FROM jobs"))).all()
    assert [(r[0], r[2]) for r in rows] == [("failed", 1)] and "token_revoked" in rows[0][1]
    refused = [
        c for c in h.slack.calls if c.response and c.response.get("error") == "token_revoked"
    ]
    assert len(refused) == 1  # one refused call, no retries, no requeue
    assert not any(is_summary(r) for r in h.replies(message.ts))
