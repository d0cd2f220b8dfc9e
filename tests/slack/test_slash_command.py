"""`/articlebot` end to end, in both modes: help, usage, bad input, an ephemeral summary, and
"Share in channel" turning it into a thread the channel can follow up in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.slack import events, interactions
from tests.fakes.slack.responses import ResponsePost
from tests.slack.harness import CHANNEL, BotHarness, running_bot, shown

OTHER_USER = "U0OTHER"


@pytest.fixture(params=["socket", "http"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, request.param) as h:
        yield h


def _text(ack: dict[str, Any]) -> str:
    return str(ack.get("text") or "")


async def _ephemeral_summary(h: BotHarness) -> ResponsePost:
    ack = await h.command(h.web.url("/tidal"))
    assert "only to you" in _text(ack) and ack.get("response_type") == "ephemeral"
    posts = await h.slack.wait_for_async(
        lambda: [p for p in h.slack.response_posts if "TL;DR" in str(p.blocks)]
    )
    await h.wait_idle()
    return posts[0]


def _share_button(post: ResponsePost) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in post.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == "articlebot_share":
                return block, element
    raise AssertionError("no Share button")


async def _click_share(h: BotHarness, post: ResponsePost, *, user: str = events.USER_ID) -> None:
    block, button = _share_button(post)
    message = {
        "type": "message",
        "ts": "1700000000.999999",
        "text": post.text,
        "blocks": post.blocks,
    }
    payload = interactions.block_actions(
        message,
        interactions.clicked(block, button, button["value"]),
        channel=CHANNEL,
        user=user,
        response_url=h.slack.response_url(user=user, channel=CHANNEL, kind="actions"),
        ephemeral=True,
    )
    assert await h.interact(payload) == 200


async def _response_saying(h: BotHarness, words: str, user: str = events.USER_ID) -> str:
    found = await h.slack.wait_for_async(
        lambda: [p for p in h.slack.response_posts if p.user == user and words in p.text]
    )
    return found[0].text


async def test_help_usage_and_bad_input_answer_in_the_ack(harness: BotHarness) -> None:
    h = harness
    assert "/articlebot usage" in _text(await h.command("help"))
    assert "Give me something to read" in _text(await h.command(""))
    no_article = _text(await h.command("hello there"))
    assert "no link" in no_article and "hello there" in no_article
    usage = _text(await h.command("usage"))
    assert "30 of 30 requests left" in usage and "0 tokens" in usage
    await h.wait_idle()
    assert h.bot.ctx.store is not None and await h.bot.ctx.store.unfinished_jobs() == []
    assert not h.slack.calls_to("chat.postMessage"), "nothing was posted in the channel"


async def test_command_summary_is_ephemeral_and_shares_into_a_thread(harness: BotHarness) -> None:
    h = harness
    post = await _ephemeral_summary(h)
    assert post.ephemeral and post.body.get("replace_original") is True
    assert "Ask a follow-up question in this thread" not in str(post.blocks)
    assert not h.slack.calls_to("chat.postMessage"), "an ephemeral summary posts nothing"
    usage = _text(await h.command("usage"))
    assert "29 of 30" in usage and " 0 tokens" not in usage

    summaries_before = len([r for r in h.llm.chat_requests if r.task == "summary"])
    await _click_share(h, post)
    assert "Shared in the channel" in await _response_saying(h, "Shared")
    await h.wait_idle()
    [root] = [m for m in h.slack.messages if m.bot_id and m.thread_ts is None]
    assert "TL;DR" in shown(root) and "articlebot_feedback" in shown(root)
    assert len([r for r in h.llm.chat_requests if r.task == "summary"]) == summaries_before, (
        "sharing reuses the cached summary"
    )
    # The shared summary is a thread the channel can follow up in.
    await h.say("How many permanent jobs will the project bring?", thread_ts=root.ts)
    replies = await h.wait_replies(root.ts, lambda rs: len(rs) == 1)
    await h.wait_idle()
    assert "40" in shown(h.replies(root.ts)[0]) and replies

    # Clicked twice, or by someone else: refused, still one shared message.
    await _click_share(h, post)
    assert "already shared" in await _response_saying(h, "already shared")
    await _click_share(h, post, user=OTHER_USER)
    assert "Only the person" in await _response_saying(h, "Only the person", user=OTHER_USER)
    await h.wait_idle()
    assert len([m for m in h.slack.messages if m.bot_id and m.thread_ts is None]) == 1


async def test_share_where_the_bot_cannot_post_says_how_to_fix_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "socket") as h:
        post = await _ephemeral_summary(h)
        h.slack.fail_next("chat.postMessage", "not_in_channel")
        await _click_share(h, post)
        assert "/invite @articlebot" in await _response_saying(h, "Invite me")
        await h.wait_idle()
        assert not [m for m in h.slack.messages if m.bot_id]


async def test_command_with_an_unreadable_link_explains_it_privately(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "http") as h:
        await h.command(h.web.url("/status/404"))
        await _response_saying(h, "404")
        [post] = h.slack.response_posts
        assert post.ephemeral and "paste" in str(post.blocks).lower()
        await h.wait_idle()
        assert not h.slack.calls_to("chat.postMessage")
