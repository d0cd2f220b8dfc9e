"""👍/👎 on summaries and answers, end to end: clicks stored once per reply and person,
acknowledged ephemerally, refused for anyone the reply does not belong to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.render.feedback_buttons import parse_feedback_value
from tests.fakes.slack import events, interactions
from tests.fakes.slack.store import Message
from tests.slack.harness import CHANNEL, BotHarness, is_summary, running_bot, shown

OTHER_USER = "U0OTHER"


@pytest.fixture(params=["socket", "http"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, request.param) as h:
        yield h


def feedback_row(message: Message) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (block, element) carrying 👍/👎 in a bot message."""
    for block in message.blocks or []:
        for element in block.get("elements") or []:
            if str(element.get("action_id", "")).startswith("articlebot_feedback"):
                return block, element
    raise AssertionError(f"no feedback row in {shown(message)}")


def values(message: Message) -> dict[str, str]:
    """{"good": value, "bad": value} of the row, native or plain."""
    block, element = feedback_row(message)
    if element["type"] == "feedback_buttons":
        good, bad = element["positive_button"]["value"], element["negative_button"]["value"]
        return {"good": good, "bad": bad}
    found = {}
    for button in block["elements"]:
        parsed = parse_feedback_value(button["value"])
        assert parsed is not None
        found[parsed[1]] = button["value"]
    return found


async def click(
    h: BotHarness, message: Message, rating: str, *, user: str = events.USER_ID, **kw: Any
) -> str:
    """Click 👍 or 👎 on `message`; returns the ephemeral note the clicker got."""
    block, element = feedback_row(message)
    value = values(message)[rating]
    if element["type"] == "button":
        element = next(e for e in block["elements"] if e["value"] == value)
    payload = interactions.block_actions(
        message.to_api(h.slack.team_id),
        interactions.clicked(block, element, value),
        channel=message.channel,
        user=user,
        **kw,
    )
    before = len(h.slack.ephemerals)
    assert await h.interact(payload) == 200
    notes = await h.slack.wait_for_async(
        lambda: [e for e in h.slack.ephemerals[before:] if e.user == user]
    )
    return notes[0].text


async def summary_reply(h: BotHarness) -> Message:
    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    replies = await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
    await h.wait_idle()
    return replies[0]


def job_of(message: Message) -> int:
    parsed = parse_feedback_value(values(message)["good"])
    assert parsed is not None
    return parsed[0]


async def test_summary_feedback_is_stored_once_and_acknowledged_privately(
    harness: BotHarness,
) -> None:
    h = harness
    reply = await summary_reply(h)
    _, element = feedback_row(reply)
    assert element["type"] == "feedback_buttons"
    store = h.bot.ctx.store
    job = job_of(reply)
    assert "noted" in await click(h, reply, "good")
    assert "already rated" in await click(h, reply, "good")
    assert await store.feedback_of(job, events.USER_ID) == "good"
    assert "Changed" in await click(h, reply, "bad")
    assert await store.feedback_of(job, events.USER_ID) == "bad"
    [week] = await store.weekly_stats()
    assert (week.channel, week.good, week.bad) == (CHANNEL, 0, 1), "one person, one rating"
    # Nobody else's click counts: another person, another workspace.
    assert "Only the person who asked" in await click(h, reply, "good", user=OTHER_USER)
    assert await store.feedback_of(job, OTHER_USER) is None
    other_team = await click(h, reply, "good", team="T0ELSEWHERE")
    assert "another workspace" in other_team
    [week] = await store.weekly_stats()
    assert (week.good, week.bad) == (0, 1)
    # Only the clicker saw the notes: none of them is a message in the channel.
    assert all(not m.text.startswith(("Thanks", "Changed")) for m in h.slack.messages)


async def test_streamed_answer_carries_feedback_and_records_it_as_an_answer(
    harness: BotHarness,
) -> None:
    h = harness
    summary = await summary_reply(h)
    thread = summary.thread_ts
    assert thread is not None
    await h.say("How many permanent jobs will the project bring?", thread_ts=thread)
    replies = await h.wait_replies(thread, lambda rs: len(rs) == 2)
    await h.wait_idle()
    answer = h.replies(thread)[-1]
    assert answer.ts == replies[-1].ts
    stop = h.slack.calls_to("chat.stopStream")[-1].params
    assert feedback_row(answer) and "blocks" in stop, "the row comes with the stream's end"
    assert "noted" in await click(h, answer, "good")
    job = await h.bot.ctx.store.get_job(job_of(answer))
    assert job is not None and job.kind == "answer"
    assert await h.bot.ctx.store.feedback_of(job.id, events.USER_ID) == "good"


async def test_click_on_a_reply_whose_request_is_gone_is_explained(harness: BotHarness) -> None:
    h = harness
    reply = await summary_reply(h)
    block, element = feedback_row(reply)
    payload = interactions.block_actions(
        reply.to_api(h.slack.team_id),
        interactions.clicked(block, element, "987654:good"),
        channel=CHANNEL,
    )
    assert await h.interact(payload) == 200
    [note] = await h.slack.wait_for_async(lambda: h.slack.ephemerals)
    assert "can't find" in note.text
    assert [(w.good, w.bad) for w in await h.bot.ctx.store.weekly_stats()] == [(0, 0)]


async def test_plain_buttons_where_feedback_buttons_are_unavailable(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "http", slack_feedback_buttons="plain") as h:
        reply = await summary_reply(h)
        block, _ = feedback_row(reply)
        assert block["type"] == "actions"
        assert "noted" in await click(h, reply, "bad")
        assert await h.bot.ctx.store.feedback_of(job_of(reply), events.USER_ID) == "bad"
