"""The summary streams: TL;DR and key points appear in the reply while the model writes them,
key actors (and their quotes) only in the final message."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.openai_server import Reply
from tests.slack.harness import is_summary, running_bot, shown

WRITING = "Writing the summary"


def _tldr_text(blocks: list[dict[str, object]]) -> str:
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and str(text.get("text", "")).startswith("*TL;DR* "):
            return str(text["text"])[len("*TL;DR* ") :]
    return ""


async def test_summary_appears_while_the_model_writes_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "socket") as h:
        h.llm.script_for("summary", Reply(chunk_delay=0.03))
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        [reply] = await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        await h.wait_idle()
        final = h.slack.message(reply.channel, reply.ts)
        assert final is not None
        partial = [b for b in final.block_history if WRITING in json.dumps(b)]
        assert partial, "the summary was shown before it was complete"
        assert all("Key actors" not in json.dumps(b) for b in partial), "no actors mid-stream"
        assert "Key actors" in shown(final) and WRITING not in json.dumps(final.blocks)
        # What was shown early is the beginning of what the summary says.
        final_tldr = _tldr_text(final.blocks or [])
        for blocks in partial:
            early = _tldr_text(blocks)
            assert final_tldr.startswith(early.rstrip(" …")), (early, final_tldr)
        assert any(_tldr_text(b) for b in partial)


async def test_cached_and_offline_summaries_arrive_whole(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "http", llm=False) as h:
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        [reply] = await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        await h.wait_idle()
        final = h.slack.message(reply.channel, reply.ts)
        assert final is not None
        assert not [b for b in final.block_history if WRITING in json.dumps(b)]
