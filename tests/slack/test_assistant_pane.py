"""Slack's assistant pane, end to end in both modes: greeting and suggested prompts, status and
title while summarising, "the last article shared in this channel" from the thread's context,
follow-ups, and a pane opened with no channel context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.slack import events
from tests.slack.harness import CHANNEL, BotHarness, is_summary, running_bot, shown

PANE = "D0PANE"
CHANNEL_PROMPT = "Summarise the last article shared in this channel"


@pytest.fixture(params=["socket", "http"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, request.param) as h:
        yield h


async def open_pane(h: BotHarness, context_channel: str | None) -> str:
    thread_ts = h.slack.store.next_ts()
    event = events.assistant_thread_event(
        "assistant_thread_started",
        user=events.USER_ID,
        channel=PANE,
        thread_ts=thread_ts,
        context_channel=context_channel,
    )
    assert await h.deliver(event) == 200
    await h.wait_replies(thread_ts, lambda rs: len(rs) == 1, channel=PANE)
    await h.wait_idle()
    return thread_ts


def prompts_sent(h: BotHarness) -> list[str]:
    [call] = h.slack.calls_to("assistant.threads.setSuggestedPrompts")
    return [p["title"] for p in call.params["prompts"]]


async def test_pane_summarises_the_channels_last_article(harness: BotHarness) -> None:
    h = harness
    h.slack.add_message(CHANNEL, f"have you seen <{h.web.url('/tidal')}>?", user="U0ALICE")
    h.slack.add_message(CHANNEL, "lunch?", user="U0BOB")  # newer, but no link
    thread = await open_pane(h, CHANNEL)
    assert CHANNEL_PROMPT in prompts_sent(h) and len(prompts_sent(h)) == 3
    assert "Hi!" in shown(h.replies(thread, channel=PANE)[0])

    await h.say(CHANNEL_PROMPT, channel=PANE, thread_ts=thread)
    replies = await h.wait_replies(thread, lambda rs: any(map(is_summary, rs)), channel=PANE)
    await h.wait_idle()
    assert "Port Ellery" in shown(replies[-1])
    statuses = h.slack.statuses(PANE, thread)
    assert statuses and any("reading" in s for s in statuses), statuses
    with h.slack.store.lock:
        titles = list(h.slack.store.titles.get((PANE, thread), []))
    assert titles and "Port Ellery" in titles[-1]
    # No placeholder message in the pane: progress was the status line.
    assert not any("Reading" in shown(r) for r in h.replies(thread, channel=PANE))

    await h.say("Who chairs the fishermen's association?", channel=PANE, thread_ts=thread)
    await h.wait_replies(thread, lambda rs: len(rs) == 3, channel=PANE)
    await h.wait_idle()
    assert "Keane" in shown(h.replies(thread, channel=PANE)[-1])


async def test_pane_without_channel_context_says_so_until_the_context_changes(
    harness: BotHarness,
) -> None:
    h = harness
    thread = await open_pane(h, None)
    assert CHANNEL_PROMPT not in prompts_sent(h)
    await h.say(CHANNEL_PROMPT, channel=PANE, thread_ts=thread)
    replies = await h.wait_replies(thread, lambda rs: len(rs) == 2, channel=PANE)
    await h.wait_idle()
    assert "can't tell which channel" in shown(replies[-1])

    h.slack.add_message(CHANNEL, f"<{h.web.url('/article')}>", user="U0ALICE")
    moved = events.assistant_thread_event(
        "assistant_thread_context_changed",
        user=events.USER_ID,
        channel=PANE,
        thread_ts=thread,
        context_channel=CHANNEL,
    )
    assert await h.deliver(moved) == 200
    await h.say(CHANNEL_PROMPT, channel=PANE, thread_ts=thread)
    replies = await h.wait_replies(thread, lambda rs: any(map(is_summary, rs)), channel=PANE)
    await h.wait_idle()
    assert "library" in shown(replies[-1]).lower()


async def test_a_link_pasted_in_the_pane_is_summarised_there(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "socket") as h:
        thread = await open_pane(h, CHANNEL)
        await h.say(f"<{h.web.url('/tidal')}>", channel=PANE, thread_ts=thread)
        replies = await h.wait_replies(thread, lambda rs: any(map(is_summary, rs)), channel=PANE)
        assert "Port Ellery" in shown(replies[-1])
