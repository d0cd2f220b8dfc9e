"""The App Home, end to end in both modes: published on app_home_opened with how-to, the
person's recent articles linked to their threads and their quota; admins also see usage and
feedback totals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.slack import events
from tests.slack.harness import BotHarness, is_summary, running_bot

HOME_DM = "D0HOME"


@pytest.fixture(params=["socket", "http"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, request.param) as h:
        yield h


async def open_home(h: BotHarness, user: str = events.USER_ID) -> dict[str, Any]:
    publishes = len(h.slack.calls_to("views.publish"))
    assert await h.deliver(events.app_home_opened(user, HOME_DM)) == 200
    await h.slack.wait_for_async(lambda: len(h.slack.calls_to("views.publish")) > publishes)
    await h.wait_idle()
    with h.slack.store.lock:
        return dict(h.slack.store.views[user])


async def test_home_lists_recent_articles_and_quota(harness: BotHarness) -> None:
    h = harness
    first = await open_home(h)
    assert "Nothing yet" in json.dumps(first) and "30 of 30" in json.dumps(first)
    assert "admins only" not in json.dumps(first)

    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
    await h.wait_idle()
    view = json.dumps(await open_home(h), ensure_ascii=False)
    assert "Port Ellery council approves tidal energy pilot" in view
    assert f"archives/{message.channel}/p{message.ts.replace('.', '')}" in view
    assert "29 of 30" in view
    # Someone else's Home does not list this person's articles.
    other = json.dumps(await open_home(h, user="U0OTHER"), ensure_ascii=False)
    assert "Port Ellery" not in other


async def test_admins_also_see_usage_and_feedback(harness: BotHarness) -> None:
    h = harness
    h.slack.workspace.admins.add(events.USER_ID)
    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
    await h.wait_idle()
    await h.bot.ctx.store.record_feedback(
        job_id=1, kind="summary", team=h.slack.team_id, channel=message.channel,
        user=events.USER_ID, value="good",
    )  # fmt: skip
    view = json.dumps(await open_home(h), ensure_ascii=False)
    assert "admins only" in view and "1 👍 and 0 👎" in view
    assert " 0 tokens" not in view


async def test_the_messages_tab_publishes_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "socket") as h:
        event = events.app_home_opened(events.USER_ID, HOME_DM, tab="messages")
        assert await h.deliver(event) == 200
        await h.wait_idle()
        assert not h.slack.calls_to("views.publish")
