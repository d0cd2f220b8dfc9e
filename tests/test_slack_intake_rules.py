"""`intake.decide`: which messages the bot acts on, and what job each becomes.

Driven with a real store (SQLite in the test's data dir) and no Slack at all: `decide` reads
only the store and the settings, so the rules can be checked one by one here rather than only
through the end-to-end harness.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.runtime import Runtime
from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.events import Incoming
from bot.slack.intake import decide
from bot.slack.job_payloads import AnswerPayload, NoticePayload, SummaryPayload

BOT = "U0BOT"
CHANNEL = "C0CHAN"
THREAD = "1700000000.000100"
LINK = "<https://news.example/tidal>"


def message(text: str, **fields: Any) -> Incoming:
    base = Incoming(
        event_type="message",
        event_id=None,
        team="T1",
        channel=CHANNEL,
        channel_type="channel",
        user="U0PERSON",
        ts="1700000001.000200",
        thread_ts=None,
        text=text,
    )
    return replace(base, **fields)


def mention(text: str, **fields: Any) -> Incoming:
    return message(f"<@{BOT}> {text}", event_type="app_mention", mentions_bot=True, **fields)


@pytest.fixture
async def context(make_settings: Callable[..., Settings]) -> AsyncIterator[Callable[..., Any]]:
    runtimes: list[Runtime] = []

    async def make(**overrides: object) -> SlackContext:
        runtime = await Runtime.start(make_settings(**overrides), use_llm=False)
        runtimes.append(runtime)
        client = AsyncWebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/")
        return SlackContext(runtime, client, bot_user_id=BOT, bot_id="B0BOT", team_id="T1")

    yield make
    for runtime in runtimes:
        await runtime.close()


async def own_thread(ctx: SlackContext) -> None:
    await ctx.store.set_thread_article(
        CHANNEL, THREAD, team="T1", content_hash="a" * 64, summary_ts=THREAD
    )


async def test_messages_not_addressed_to_the_bot_are_left_alone(context) -> None:
    ctx = await context()
    assert await decide(ctx, message(f"look at this {LINK}")) is None
    assert await decide(ctx, message("hello", thread_ts="1690000000.000001")) is None


async def test_a_mention_with_a_link_becomes_a_summary_of_that_link(context) -> None:
    ctx = await context()
    decision = await decide(ctx, mention(f"{LINK} in French"))
    assert isinstance(decision, SummaryPayload)
    assert decision.urls == ["https://news.example/tidal"] and decision.note == "in French"
    assert not decision.switch and decision.text.endswith("in French")


async def test_a_dm_needs_no_mention(context) -> None:
    ctx = await context()
    decision = await decide(ctx, message(LINK, channel="D0DM", channel_type="im"))
    assert isinstance(decision, SummaryPayload) and decision.urls


async def test_shared_files_are_an_article_even_without_text(context) -> None:
    ctx = await context()
    decision = await decide(ctx, mention("", files=[{"id": "F1", "name": "a.txt"}]))
    assert isinstance(decision, SummaryPayload) and decision.files == [
        {"id": "F1", "name": "a.txt"}
    ]


async def test_a_mention_without_an_article_gets_help(context) -> None:
    ctx = await context()
    decision = await decide(ctx, mention("hi"))
    assert decision == NoticePayload(text=f"<@{BOT}> hi", message=messages.HELP)


async def test_in_an_owned_thread_a_question_becomes_an_answer(context) -> None:
    ctx = await context()
    await own_thread(ctx)
    decision = await decide(ctx, message("Who voted against?", thread_ts=THREAD))
    assert isinstance(decision, AnswerPayload) and decision.question == "Who voted against?"
    empty = await decide(ctx, mention("", thread_ts=THREAD))
    assert isinstance(empty, NoticePayload) and empty.message == messages.HELP_IN_THREAD


async def test_a_new_link_in_an_owned_thread_switches_the_article(context) -> None:
    ctx = await context()
    await own_thread(ctx)
    decision = await decide(ctx, message(LINK, thread_ts=THREAD))
    assert isinstance(decision, SummaryPayload) and decision.switch


async def test_people_talking_to_each_other_in_our_thread_are_left_alone(context) -> None:
    ctx = await context()
    await own_thread(ctx)
    aside = message("<@U0BOB> what do you think?", thread_ts=THREAD, mentions_others=True)
    assert await decide(ctx, aside) is None
    both = mention("and <@U0BOB>: who?", thread_ts=THREAD, mentions_others=True)
    assert isinstance(await decide(ctx, both), AnswerPayload)


async def test_outside_the_allowed_channels_only_a_mention_gets_a_refusal(context) -> None:
    ctx = await context(slack_allowed_channels=["C0OTHER"])
    refusal = await decide(ctx, mention(LINK))
    assert isinstance(refusal, NoticePayload) and refusal.refusal
    assert refusal.message == messages.NOT_IN_THIS_CHANNEL
    await own_thread(ctx)
    assert await decide(ctx, message("Who?", thread_ts=THREAD)) is None
    dm = await decide(ctx, message(LINK, channel="D0DM", channel_type="im"))
    assert isinstance(dm, SummaryPayload), "DMs are never channel-restricted"


async def test_the_hourly_quota_refuses_and_refusals_do_not_count(context) -> None:
    ctx = await context(slack_user_quota_per_hour=3)

    async def accepted(i: int, kind: str) -> None:
        await ctx.store.record_request(
            event_id=f"Ev{i}", channel=CHANNEL, ts=f"1700000000.00{i}", kind=kind,
            payload={}, team="T1", user="U0PERSON", thread_ts=THREAD,
        )  # fmt: skip

    for i, kind in enumerate(["summary", "notice", "notice", "answer"]):
        await accepted(i, kind)
    assert isinstance(await decide(ctx, mention(LINK)), SummaryPayload), "2 of 3 used"
    await accepted(9, "summary")
    refusal = await decide(ctx, mention(LINK))
    assert isinstance(refusal, NoticePayload) and refusal.refusal
    assert refusal.message == messages.QUOTA_REACHED.format(quota=3)
    other_user = await decide(ctx, mention(LINK, user="U0OTHER"))
    assert isinstance(other_user, SummaryPayload)


def dm(text: str, **fields: Any) -> Incoming:
    return message(text, channel="D0DM", channel_type="im", **fields)


async def test_a_dm_question_is_about_the_latest_article_of_that_dm(context) -> None:
    ctx = await context()
    store = ctx.store
    await store.set_thread_article("D0DM", "1700000000.000100", team="T1", content_hash="a" * 64)
    await store.set_thread_article("D0DM", "1700000000.000300", team="T1", content_hash="b" * 64)
    await store.set_thread_article(CHANNEL, "1700000000.000500", team="T1", content_hash="c" * 64)
    # Another workspace's thread under the same channel id is never part of this conversation.
    await store.set_thread_article("D0DM", "1700000000.000700", team="T2", content_hash="d" * 64)
    decision = await decide(ctx, dm("Who is Patrushev?"))
    assert isinstance(decision, AnswerPayload) and decision.question == "Who is Patrushev?"
    assert decision.article_thread == "1700000000.000300", "the DM's newest, not the channel's"
    assert decision.articles_in_conversation == 2
    # A reply under a message that has no article of its own (a help notice) counts the same.
    in_thread = await decide(ctx, dm("And the budget?", thread_ts="1690000000.000001"))
    assert isinstance(in_thread, AnswerPayload)
    assert in_thread.article_thread == "1700000000.000300"


async def test_a_dm_without_an_article_never_says_mention_me(context) -> None:
    ctx = await context()
    for text in ("Who is Patrushev?", "", "hello <@U0ALICE>"):
        decision = await decide(ctx, dm(text))
        if decision is not None:
            assert isinstance(decision, NoticePayload)
            assert "mention" not in decision.message.lower()
    decision = await decide(ctx, dm("Who is Patrushev?"))
    assert isinstance(decision, NoticePayload) and decision.message == messages.HELP_DM
