"""Direct messages read as one conversation: a top-level question is about the DM's latest
article, the reply says which when the DM has several, and no reply says "mention me"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.slack.harness import BotHarness, is_summary, running_bot, shown

DM = "D0DIRECT"


@pytest.fixture(params=["socket", "http"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, request.param) as h:
        yield h


async def _summarised_in_dm(h: BotHarness, path: str) -> str:
    message, _ = await h.say(f"<{h.web.url(path)}>", channel=DM)
    await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)), channel=DM)
    await h.wait_idle()
    return message.ts


async def _answer(h: BotHarness, question: str) -> str:
    message, _ = await h.say(question, channel=DM)
    await h.wait_replies(message.ts, lambda rs: len(rs) == 1, channel=DM)
    await h.wait_idle()
    return message.ts


async def test_top_level_dm_question_is_about_the_latest_article(harness: BotHarness) -> None:
    h = harness
    await _summarised_in_dm(h, "/tidal")
    asked = await _answer(h, "Who chairs the fishermen's association?")
    [reply] = h.replies(asked, channel=DM)
    answer = shown(reply)
    assert "Keane" in answer
    assert "this conversation" not in answer, "one article: nothing to disambiguate"
    # Follow-ups in the answer's thread stay on that article.
    await h.say("How many permanent jobs?", channel=DM, thread_ts=asked)
    replies = await h.wait_replies(asked, lambda rs: len(rs) == 2, channel=DM)
    await h.wait_idle()
    assert "40" in shown(replies[-1])


async def test_with_two_articles_the_answer_names_the_latest(harness: BotHarness) -> None:
    h = harness
    await _summarised_in_dm(h, "/tidal")
    await _summarised_in_dm(h, "/article")
    asked = await _answer(h, "When did it reopen?")
    [reply] = h.replies(asked, channel=DM)
    assert "latest of the 2 articles" in shown(reply)
    prompt = h.llm.chat_requests[-1].json["messages"][-1]["content"]
    assert "library" in prompt.lower() and "Port Ellery" not in prompt


async def test_dm_question_before_any_article_gets_dm_help(harness: BotHarness) -> None:
    h = harness
    message, _ = await h.say("Who is Patrushev?", channel=DM)
    [reply] = await h.wait_replies(message.ts, bool, channel=DM)
    await h.wait_idle()
    text = shown(reply).lower()
    assert "link" in text and "mention" not in text
    assert not [t for t in h.slack.all_texts() if "mention me" in t.lower()]
