"""A result in several messages, re-run after any prefix of its parts was posted: one copy of
each part, in order, whatever failed (a lost or failed post, retries running out, a crash).

The reply runs against the fake Slack over the wire, with the real store: each "run" is what
the job runner does for one claim of the job (a re-run claims it again, attempts + 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.runtime import Runtime
from bot.slack.context import SlackContext
from bot.slack.render import RenderedMessage
from bot.slack.render.blocks import section
from bot.slack.replies import ThreadReply
from bot.slack.web_api import web_client
from bot.store.records import Job
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.events import TEAM_ID
from tests.fakes.slack.store import Message
from tests.slack.harness import CHANNEL as HARNESS_CHANNEL
from tests.slack.harness import is_summary, running_bot

CHANNEL = "C0PARTS"
QUESTION = "How many permanent jobs will the project bring?"
# Over the largest block of that answer, under any two: Slack refuses all but one block a
# message, so the answer goes out in as many parts as it has blocks.
ANSWER_BLOCK_CHARS = 700
WORKER = "test-worker"
PARTS = 4
# Faults on a post that Slack may have carried out (stored) or not; each leaves the client
# unsure whether the message exists.
POST_FAULTS = [
    ("http_500", True),
    ("internal_error", True),
    ("lost_response", False),  # stored, then the connection dropped before the answer
    ("connection_reset", False),  # dropped before Slack saw it
    ("http_503", False),
]


def result(n: int = PARTS, tag: str = "") -> list[RenderedMessage]:
    texts = [f"Summary{tag}, part {i} of {n}: " + "word " * (20 + i) for i in range(1, n + 1)]
    return [RenderedMessage(text=t, blocks=[section(t)]) for t in texts]


@dataclass
class Scene:
    slack: FakeSlack
    ctx: SlackContext
    thread_ts: str
    job: Job

    async def run(self) -> ThreadReply:
        """Claim the job (a re-run if it ran before) and return its reply."""
        job = self.job
        if job.attempts:
            await self.ctx.store.release_job(job.id, worker=WORKER)  # as a takeover finds it
        claimed = await self.ctx.store.claim_job(job.id, worker=WORKER, lease_s=60)
        assert claimed is not None
        self.job = claimed
        return ThreadReply(self.ctx, claimed)

    def thread(self) -> list[Message]:
        return self.slack.bot_replies(CHANNEL, self.thread_ts)

    def assert_exactly(self, parts: list[RenderedMessage]) -> None:
        shown = self.thread()
        assert [m.text for m in shown] == [p.text for p in parts], [m.text for m in shown]
        assert [m.blocks for m in shown] == [p.blocks for p in parts]


@asynccontextmanager
async def scene(tmp_path: Path) -> AsyncIterator[Scene]:
    with FakeSlack() as slack:
        settings = load_settings(
            _env_file=None,
            data_dir=tmp_path / "data",
            slack_bot_token=slack.bot_token,
            slack_api_url=slack.api_url,
            slack_max_retries=1,
            slack_retry_base_seconds=0.01,
        )
        runtime = await Runtime.start(settings, use_llm=False)
        client = web_client(settings)  # the bot's own client, with its retry rules
        ctx = SlackContext(
            runtime=runtime,
            client=client,
            bot_user_id=slack.bot_user_id,
            bot_id=slack.bot_id,
            team_id=slack.team_id,
        )
        try:
            parent = slack.add_message(CHANNEL, f"<@{slack.bot_user_id}> a long article")
            job = await runtime.store.record_request(
                event_id=None, channel=CHANNEL, ts=parent.ts, kind="summary",
                payload={"text": "a long article", "files": []},
                team=slack.team_id, user="U0USER", thread_ts=parent.ts,
            )  # fmt: skip
            assert job is not None
            yield Scene(slack, ctx, parent.ts, job)
        finally:
            await runtime.close()


@pytest.mark.parametrize(("fault", "stored"), POST_FAULTS)
@pytest.mark.parametrize("k", range(1, PARTS + 1))
async def test_a_failed_post_of_part_k_is_retried_without_a_copy(
    tmp_path: Path, fault: str, stored: bool, k: int
) -> None:
    """One failure on part k's post, inside one run: the run looks before it posts again."""
    async with scene(tmp_path) as s:
        reply = await s.run()
        s.slack.inject_fault("chat.postMessage", fault, skip=k - 1, stored=stored)
        await reply.finish(result())
        s.assert_exactly(result())


@pytest.mark.parametrize(("fault", "stored"), POST_FAULTS)
@pytest.mark.parametrize("k", range(1, PARTS + 1))
async def test_rerun_after_part_k_failed_for_good_completes_the_thread(
    tmp_path: Path, fault: str, stored: bool, k: int
) -> None:
    """Part k's post keeps failing until the run gives up (the job is requeued); the re-run
    finds parts 1..k-1 (and part k, if Slack stored it) and posts only what is missing."""
    async with scene(tmp_path) as s:
        reply = await s.run()
        await reply.status("Reading the article…")  # the placeholder, as every flow posts it
        s.slack.inject_fault("chat.postMessage", fault, times=100, skip=k - 2, stored=stored)
        if k == 1:
            s.slack.inject_fault("chat.update", fault, times=100, stored=stored)
        with contextlib.suppress(Exception):  # gave up (or, Slack having stored it, found it)
            await reply.finish(result())
        s.slack.web_api._injected.clear()
        await (await s.run()).finish(result())
        s.assert_exactly(result())


@pytest.mark.parametrize("placeholder", [True, False])
@pytest.mark.parametrize("k", range(1, PARTS + 1))
async def test_rerun_after_a_crash_after_part_k_posts_each_part_once(
    tmp_path: Path, k: int, placeholder: bool
) -> None:
    """The worker dies while posting part k+1 (or, k = N, just before finishing the job)."""
    async with scene(tmp_path) as s:
        reply = await s.run()
        if placeholder:
            await reply.status("Reading the article…")
        posts = len(s.slack.calls_to("chat.postMessage"))
        # part 1 is an edit of the placeholder, or the first post
        s.slack.inject_fault("chat.postMessage", "stall", skip=k - int(placeholder))
        run = asyncio.create_task(reply.finish(result()))
        if k < PARTS:
            wanted = posts + k + 1 - int(placeholder)
            await s.slack.wait_for_async(
                lambda: len(s.slack.calls_to("chat.postMessage")) >= wanted, timeout=10
            )
            run.cancel()  # the process is gone: nothing of this run happens any more
            await asyncio.gather(run, return_exceptions=True)
            assert len(s.thread()) == k
        else:
            await run
        s.slack.web_api._injected.clear()
        await (await s.run()).finish(result())
        s.assert_exactly(result())


@pytest.mark.parametrize("k", range(2, PARTS + 1))
async def test_rerun_with_a_different_result_replaces_the_earlier_parts(
    tmp_path: Path, k: int
) -> None:
    """A re-run may word the result differently (a new model answer) or split it in fewer
    parts: the thread ends with the new parts only, in order."""
    async with scene(tmp_path) as s:
        reply = await s.run()
        await reply.status("Reading the article…")
        # parts 1..k-1 are in the thread when the run gives up
        s.slack.inject_fault("chat.postMessage", "service_unavailable", times=100, skip=k - 2)
        with pytest.raises(Exception):  # noqa: B017 - whatever the client raised for it
            await reply.finish(result())
        s.slack.web_api._injected.clear()
        await (await s.run()).finish(result(3, tag=" (reworded)"))
        s.assert_exactly(result(3, tag=" (reworded)"))


async def test_a_rerun_keeps_matching_parts_where_they_are(tmp_path: Path) -> None:
    """Parts already right are neither posted again nor moved."""
    async with scene(tmp_path) as s:
        await (await s.run()).finish(result())
        before = [m.ts for m in s.thread()]
        posts = len(s.slack.calls_to("chat.postMessage"))
        await (await s.run()).finish(result())
        assert [m.ts for m in s.thread()] == before
        assert len(s.slack.calls_to("chat.postMessage")) == posts
        s.assert_exactly(result())


async def test_answer_in_parts_requeued_after_part_2_ends_with_each_part_once(
    tmp_path: Path,
) -> None:
    """Through the whole bot: an answer Slack makes us split (msg_too_long), whose third part
    cannot be posted until the job is requeued; the re-run completes the thread without a
    copy, and the question is remembered once."""
    async with running_bot(
        tmp_path, slack_stream_mode="update", slack_max_retries=1,
        slack_retry_base_seconds=0.01, slack_requeue_base_seconds=0.1,
    ) as h:  # fmt: skip
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        await h.wait_idle()
        h.slack.workspace.message_chars = ANSWER_BLOCK_CHARS
        # posts: the reply message (the answer so far), parts 2 + 3 together (msg_too_long),
        # part 2, part 3: that one fails, as does the client's retry, so the run gives up and
        # the job is requeued
        h.slack.inject_fault("chat.postMessage", "service_unavailable", times=2, skip=3)
        await h.say(QUESTION, thread_ts=message.ts)
        await h.wait_idle(timeout=30)
        answer = h.replies(message.ts)[1:]
        parts = [part_of(m.metadata) for m in answer]
        assert len(answer) >= 3 and parts == list(range(1, len(answer) + 1)), parts
        tries = [c for c in h.slack.calls_to("chat.postMessage") if part_of(c.params) == 3]
        assert len(tries) == 3, "two failed tries, then the re-run's post"
        blocks = json.dumps([m.blocks for m in answer])
        assert blocks.count("40 permanent jobs") == 2  # the answer and its quote, once each
        assert h.bot is not None
        turns = await h.bot.ctx.store.get_turns(HARNESS_CHANNEL, message.ts, team=TEAM_ID)
        assert [t.question for t in turns] == [QUESTION]


def part_of(holder: dict[str, Any] | None) -> object:
    """The part number a bot message's metadata (or a post's parameters) names."""
    meta = (holder or {}).get("metadata", holder) or {}
    return (meta.get("event_payload") or {}).get("part")
