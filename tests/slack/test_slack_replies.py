"""The reply slot under Slack faults: edits that fail, replies that vanish, update mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.store import Store
from tests.fakes.slack.events import TEAM_ID
from tests.slack.harness import CHANNEL, is_summary, running_bot, shown

FAST: dict[str, Any] = {"slack_max_retries": 1, "slack_retry_base_seconds": 0.01}


async def test_resumed_job_whose_reply_was_deleted_posts_exactly_one_result(
    tmp_path: Path,
) -> None:
    """What a worker leaves if it dies between deleting an uneditable placeholder and posting
    the result: a job whose saved reply is gone. The resumed job must post it, once."""
    async with running_bot(tmp_path, **FAST) as h:
        await h.stop()
        message = h.slack.add_message(CHANNEL, f"<@{h.slack.bot_user_id}> <{h.web.url('/tidal')}>")
        client = AsyncWebClient(token=h.slack.bot_token, base_url=h.slack.api_url)
        placeholder = await client.chat_postMessage(
            channel=CHANNEL, thread_ts=message.ts, text="Reading the article…"
        )
        await client.chat_delete(channel=CHANNEL, ts=placeholder["ts"])
        store = await Store.open(h.settings().resolved_database_url)
        job = await store.record_request(
            event_id="EvGONE", channel=CHANNEL, ts=message.ts, kind="summary",
            payload={"text": f"<{h.web.url('/tidal')}>", "files": []},
            team=h.slack.team_id, user="U0USER", thread_ts=message.ts,
        )  # fmt: skip
        assert job is not None
        await store.set_job_reply(job.id, placeholder["ts"])
        await store.close()
        await h.start()
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        await h.wait_idle()
        [reply] = h.replies(message.ts)
        assert is_summary(reply) and reply.ts != placeholder["ts"]


async def test_update_mode_answer_survives_edits_that_keep_failing(tmp_path: Path) -> None:
    async with running_bot(tmp_path, slack_stream_mode="update", **FAST) as h:
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        await h.wait_idle()
        # From now on every edit fails for good: progress edits are skipped, the answer is
        # posted as a new message and the half-written one removed.
        h.slack.inject_fault("chat.update", "service_unavailable", times=1000)
        posts_before = len(h.slack.calls_to("chat.postMessage"))
        await h.say("How many permanent jobs will the project bring?", thread_ts=message.ts)
        await h.wait_idle(timeout=30)
        h.slack.web_api._injected.clear()
        replies = h.replies(message.ts)
        assert len(replies) == 2 and is_summary(replies[0])
        answer = shown(replies[1])
        assert "40 permanent jobs" in answer
        partial, final = h.slack.calls_to("chat.postMessage")[posts_before:]
        assert final.response is not None and final.response["ts"] == replies[1].ts
        assert partial.response is not None
        gone = h.slack.message(CHANNEL, partial.response["ts"])
        assert gone is not None and gone.deleted, "the half-written answer was removed"
        assert "Something went wrong" not in answer
        assert h.bot is not None
        turns = await h.bot.ctx.store.get_turns(CHANNEL, message.ts, team=TEAM_ID)
        assert [t.question for t in turns] == ["How many permanent jobs will the project bring?"]
