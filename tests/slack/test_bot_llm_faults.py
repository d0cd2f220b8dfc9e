"""LLM faults at the wire level, seen from Slack: every request still ends in one final reply
(the offline engine's result with a note), never a stuck placeholder or "Something went wrong".
Both modes (Socket Mode, HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.openai_server import Reply
from tests.slack.harness import BotHarness, is_summary, running_bot, shown

pytestmark = pytest.mark.parametrize("mode", ["socket", "http"])


@pytest.fixture
async def bot(mode: str, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, mode, llm_max_retries=1) as h:  # type: ignore[arg-type]
        yield h


def final(text: str) -> bool:
    return "Reading" not in text and "Summarising" not in text


@pytest.mark.parametrize("fault", ["html_page", "empty_choices", "json_cut_off"])
async def test_a_summary_whose_llm_sends_garbage(bot: BotHarness, fault: str) -> None:
    h = bot
    h.llm.script(*[Reply(fault=fault)] * 4)  # type: ignore[union-attr]
    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    replies = await h.wait_replies(message.ts, lambda rs: any(is_summary(r) for r in rs))
    await h.wait_idle()
    replies = h.replies(message.ts)
    assert len(replies) == 1 and final(shown(replies[0]))
    text = shown(replies[0])
    assert "language model failed" in text and "offline" in text
    assert "Something went wrong" not in text


@pytest.mark.parametrize("fault", ["sse_garbled_chunk", "sse_truncated", "sse_malformed_chunk"])
async def test_an_answer_whose_stream_breaks(bot: BotHarness, fault: str) -> None:
    h = bot
    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    await h.wait_replies(message.ts, lambda rs: any(is_summary(r) for r in rs))
    await h.wait_idle()
    h.llm.script(*[Reply(fault=fault)] * 2)  # type: ignore[union-attr]
    await h.say("How many permanent jobs will the project bring?", thread_ts=message.ts)
    await h.wait_replies(message.ts, lambda rs: len(rs) >= 2)
    await h.wait_idle()
    replies = h.replies(message.ts)
    assert len(replies) == 2
    answer = shown(replies[-1])
    assert "language model failed" in answer and "Something went wrong" not in answer
