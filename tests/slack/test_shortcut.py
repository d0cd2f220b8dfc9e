"""The message shortcut "Summarise this article", end to end in both modes: the summary goes in
the message's thread, follow-ups work there, and bad uses get a note only the user sees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.slack import events, interactions
from tests.fakes.slack.store import Message
from tests.slack.harness import CHANNEL, BotHarness, is_summary, running_bot, shown


@pytest.fixture(params=["socket", "http"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, request.param) as h:
        yield h


async def use_shortcut(h: BotHarness, message: Message, user: str = events.USER_ID) -> None:
    payload = interactions.message_action(
        message.to_api(h.slack.team_id),
        channel=message.channel,
        callback_id="summarise_article",
        response_url=h.slack.response_url(user=user, channel=message.channel, kind="actions"),
        user=user,
    )
    assert await h.interact(payload) == 200


async def test_shortcut_summarises_into_the_messages_thread(harness: BotHarness) -> None:
    h = harness
    # Someone shared a link without mentioning the bot; a colleague uses the shortcut on it.
    shared = h.slack.add_message(CHANNEL, f"worth a read <{h.web.url('/tidal')}>", user="U0ALICE")
    await use_shortcut(h, shared)
    [summary] = await h.wait_replies(shared.ts, lambda rs: any(map(is_summary, rs)))
    assert "Port Ellery" in shown(summary)
    await h.wait_idle()
    job = await h.bot.ctx.store.get_job(1)
    assert job is not None and job.user == events.USER_ID, "the request is the shortcut user's"
    await h.say("How many permanent jobs will the project bring?", thread_ts=shared.ts)
    replies = await h.wait_replies(shared.ts, lambda rs: len(rs) == 2)
    await h.wait_idle()
    assert "40" in shown(h.replies(shared.ts)[-1]) and replies
    # Used again on the same message: refused privately, no second summary.
    await use_shortcut(h, shared)
    [note] = await h.slack.wait_for_async(lambda: h.slack.response_posts)
    assert "already" in note.text and note.ephemeral
    await h.wait_idle()
    assert sum(map(is_summary, h.replies(shared.ts))) == 1


async def test_shortcut_on_a_message_with_nothing_to_read(harness: BotHarness) -> None:
    h = harness
    chat = h.slack.add_message(CHANNEL, "lunch at noon?", user="U0ALICE")
    await use_shortcut(h, chat)
    [note] = await h.slack.wait_for_async(lambda: h.slack.response_posts)
    assert "nothing to read" in note.text and note.ephemeral
    await h.wait_idle()
    assert h.replies(chat.ts) == [] and not h.slack.calls_to("chat.postMessage")


async def test_shortcut_on_a_shared_file(tmp_path: Path) -> None:
    from tests.shared_data import SAMPLE_ARTICLE

    async with running_bot(tmp_path, "socket") as h:
        file = h.slack.add_file(SAMPLE_ARTICLE.read_bytes(), "tidal-pilot.md", "text/markdown")
        shared = h.slack.add_message(CHANNEL, "", user="U0ALICE", files=[file])
        await use_shortcut(h, shared)
        [summary] = await h.wait_replies(shared.ts, lambda rs: any(map(is_summary, rs)))
        assert "Port Ellery" in shown(summary)
