"""Streaming an answer into a thread: Slack's streaming API, or chat.update once a second.

The text handed to `append` is already quote-guarded by the analysis layer (a quoted span
arrives only once verified); here it is escaped so it can never ping, then shown. With the
streaming API the quotes and notices are appended at the end; with updates the final edit
replaces the whole message with the rendered answer.

A stream that breaks (start, append or stop failing after the client's retries) stops being
fed; the answer is then finished as one complete message: the stream message edited into the
rendered answer, or, if that fails too, posted anew (see `ThreadReply.finish`).
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from slack_sdk.web.async_chat_stream import AsyncChatStream

from bot.analysis.models import AnswerResult
from bot.slack.context import SlackContext
from bot.slack.render import (
    RenderedMessage,
    answer_message,
    answer_stream_tail,
    split_text,
    to_mrkdwn,
)
from bot.slack.render.blocks import Block, section
from bot.slack.render.feedback_buttons import feedback_blocks, with_feedback
from bot.slack.render.limits import MARKDOWN_TEXT_CHARS, SECTION_TEXT_CHARS
from bot.slack.render.stream import StreamLinkGuard
from bot.slack.replies import STOPPING, ThreadReply, slack_fault
from bot.slack.web_api import count_failure
from bot.store.records import Job

log = logging.getLogger(__name__)

# Characters buffered before a chat.appendStream call: fewer calls, still fluid.
STREAM_BUFFER_CHARS = 120
UPDATE_INTERVAL_S = 1.0


class AnswerOutput(Protocol):
    async def append(self, text: str) -> None: ...
    async def finish(self, result: AnswerResult) -> None: ...


class StreamApiOutput:
    """chat.startStream / appendStream / stopStream through slack_sdk's `chat_stream`."""

    def __init__(
        self,
        ctx: SlackContext,
        job: Job,
        reply: ThreadReply,
        allowed: list[str],
        feedback: list[Block] | None = None,
    ) -> None:
        self.ctx, self.job, self.reply, self.allowed = ctx, job, reply, allowed
        self.feedback = feedback or []
        self._stream: AsyncChatStream | None = None
        self._links = StreamLinkGuard(allowed)

    async def _open(self) -> AsyncChatStream:
        if self._stream is None:
            self._stream = await self.ctx.client.chat_stream(
                channel=self.job.channel,
                thread_ts=self.job.thread_ts,
                recipient_team_id=self.job.team or self.ctx.team_id,
                recipient_user_id=self.job.user,
                buffer_size=STREAM_BUFFER_CHARS,
            )
        return self._stream

    @property
    def ts(self) -> str | None:
        """The stream message, once chat.startStream has succeeded."""
        return self._stream.ts if self._stream is not None else None

    async def _remember_ts(self, stream: AsyncChatStream) -> None:
        if stream.ts and self.reply.ts != stream.ts:
            self.reply.ts = stream.ts
            await self.ctx.store.set_job_reply(self.job.id, stream.ts)

    async def append(self, text: str) -> None:
        safe = self._links.feed(text)
        if safe:
            stream = await self._open()
            await stream.append(markdown_text=safe)
            await self._remember_ts(stream)

    async def finish(self, result: AnswerResult) -> None:
        stream = await self._open()
        held = self._links.finish()
        if held:
            await stream.append(markdown_text=held)
        pieces = split_text(
            answer_stream_tail(result, allowed_links=self.allowed), MARKDOWN_TEXT_CHARS
        ) or [""]
        for piece in pieces[:-1]:
            await stream.append(markdown_text=piece)
        await stream.stop(markdown_text=pieces[-1] or None, blocks=self.feedback or None)
        await self._remember_ts(stream)


class UpdateOutput:
    """A normal message edited with chat.update at most once a second, then finalised."""

    def __init__(
        self, reply: ThreadReply, allowed: list[str], feedback: list[Block] | None = None
    ) -> None:
        self.reply, self.allowed = reply, allowed
        self.feedback = feedback or []
        self._text = ""
        self._shown_at = 0.0

    def _partial(self) -> RenderedMessage:
        # The beginning of the answer so far (split_text closes any code block it cuts).
        rendered = split_text(to_mrkdwn(self._text + " …"), SECTION_TEXT_CHARS)[0]
        return RenderedMessage(text=rendered, blocks=[section(rendered)])

    async def append(self, text: str) -> None:
        self._text += text
        if time.monotonic() - self._shown_at >= UPDATE_INTERVAL_S:
            self._shown_at = time.monotonic()
            await self.reply.progress(self._partial())

    async def finish(self, result: AnswerResult) -> None:
        rendered = answer_message(result, allowed_links=self.allowed)
        await self.reply.finish(with_feedback(rendered, self.feedback))


class FallbackOutput:
    """Starts with the streaming API; if the workspace refuses it, continues with updates.

    If the stream breaks after it started, the rest of the answer is not streamed: `finish`
    settles the stream and makes it the complete answer.
    """

    def __init__(
        self,
        ctx: SlackContext,
        job: Job,
        reply: ThreadReply,
        allowed: list[str],
        feedback: list[Block] | None = None,
    ) -> None:
        self.ctx, self.job, self.reply, self.allowed = ctx, job, reply, allowed
        self.feedback = feedback or []
        self.output: AnswerOutput = StreamApiOutput(ctx, job, reply, allowed, self.feedback)
        self._sent = ""
        self._broken = False
        self._lost_stream: str | None = None

    def _stream_ts(self) -> str | None:
        return self.output.ts if isinstance(self.output, StreamApiOutput) else None

    def _broke(self, exc: BaseException, when: str) -> None:
        """Note a stream failure, or raise `exc` if it is not one the answer can survive."""
        fault = slack_fault(exc)
        if fault is None or fault.fault in STOPPING:
            raise exc
        count_failure(fault)
        log.warning("stream %s failed for job %s (%s)", when, self.job.id, fault.error)
        self._broken = True

    async def append(self, text: str) -> None:
        self._sent += text
        if self._broken:
            return
        try:
            await self.output.append(text)
        except Exception as exc:
            started = self._stream_ts() is not None or self.reply.ts is not None
            if not isinstance(self.output, StreamApiOutput) or started:
                self._broke(exc, "append")
                return
            fault = slack_fault(exc)
            if fault is None or fault.fault in STOPPING:
                raise
            count_failure(fault)
            if fault.ambiguous and await self._adopt_lost_stream():
                return
            log.warning("streaming API unavailable (%s); using chat.update", fault.error)
            self.output = UpdateOutput(self.reply, self.allowed, self.feedback)
            await self.output.append(self._sent)

    async def _adopt_lost_stream(self) -> bool:
        """chat.startStream may have worked although its answer was lost: if the stream is in
        the thread, it becomes the reply (finished by `finish`) instead of a second message."""
        found = await self.reply.find_stream(self._sent)
        if found is None:
            return False
        log.warning("stream of job %s started although Slack's answer was lost", self.job.id)
        self._lost_stream = found
        self._broken = True
        return True

    async def finish(self, result: AnswerResult) -> None:
        if not self._broken:
            try:
                await self.output.finish(result)
                return
            except Exception as exc:
                self._broke(exc, "stop")
        stream_ts = self._stream_ts() or self._lost_stream
        if stream_ts is not None:
            if self.reply.ts != stream_ts:
                self.reply.ts = stream_ts
                await self.ctx.store.set_job_reply(self.job.id, stream_ts)
            await self.reply.settle_previous()  # close what may still be open
        rendered = answer_message(result, allowed_links=self.allowed)
        await self.reply.finish(with_feedback(rendered, self.feedback))


def answer_output(
    ctx: SlackContext, job: Job, reply: ThreadReply, *, allowed_links: list[str]
) -> AnswerOutput:
    """Where a streamed answer goes; `allowed_links` may be shown as real links (the article's).

    The answer ends with the 👍/👎 row for this job."""
    feedback = feedback_blocks(job.id, ctx.settings.slack_feedback_buttons)
    if ctx.settings.slack_stream_mode == "update" or reply.ts is not None:
        # A resumed job already has a reply message: edit it rather than start a new stream.
        return UpdateOutput(reply, allowed_links, feedback)
    return FallbackOutput(ctx, job, reply, allowed_links, feedback)
