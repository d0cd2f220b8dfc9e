"""The bot's reply to one job: a progress sign at once, then one message that becomes the result.

The first message's ts is saved on the job before anything slow happens, so if the process dies
and the job is resumed, the same message is edited: the user never gets two replies.

A result too long for one message goes out as parts: part 1 is the reply message, parts 2..N
follow it in the thread. Each post names its part in message metadata (job, part, and for
parts 2..N a digest of the content), the same in every run of the job. A re-run (crash,
requeue) first reads what earlier runs left in the thread: it adopts a posted reply message,
keeps the parts already there in order with the same content, and replaces the rest, so the
thread ends with exactly one copy of each part, in order.

Progress (reaction, placeholder, status edits) is best effort: its failure is logged and the
work goes on. The result is not: if the placeholder cannot be edited, the result is posted as a
new message (whose ts replaces the placeholder's on the job), the placeholder deleted first.
Failures that stop the job (a transient fault whose retries ran out, no access, a bad token)
are raised for the job runner to handle.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import SLACK_RETRIES
from bot.slack.context import SlackContext
from bot.slack.render import RenderedMessage, split_text, status_message
from bot.slack.render.blocks import section
from bot.slack.render.limits import SECTION_TEXT_CHARS
from bot.slack.web_api import SlackFault, backoff_delay, classify, count_failure
from bot.store.records import Job

log = logging.getLogger(__name__)

WORKING_REACTION = "eyes"
# Bot replies never unfurl links (an article link would add a large preview) and never
# expand names into pings (link_names is never sent).
_POST_OPTIONS: dict[str, Any] = {"unfurl_links": False, "unfurl_media": False}
# Faults after which nothing more can be said in this channel: no point carrying on.
STOPPING = frozenset({"no_access", "auth"})
# How many times a message refused as `msg_too_long` is halved before giving up.
RESPLIT_DEPTH = 3
# Message metadata event type naming the bot's posts, so a retry can find a post that
# went through although Slack's answer was lost.
REPLY_EVENT = "articlebot_reply"


@dataclass(frozen=True)
class _Posted:
    """A part an earlier run of the job posted: its message and a digest of its content."""

    ts: str
    digest: str


def digest(message: RenderedMessage) -> str:
    """Names a part's content, so a re-run can tell whether a posted part is still right."""
    raw = json.dumps([message.text, message.blocks], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def slack_fault(exc: BaseException) -> SlackFault | None:
    """The Slack fault behind `exc`; None if it is not a Slack fault.

    Failures are counted (`SLACK_FAILURES`) where they are handled, not where they are re-raised.
    """
    return classify(exc)


def halved(message: RenderedMessage) -> list[RenderedMessage]:
    """`message` as two smaller messages (Slack said `msg_too_long`): by blocks, else by text."""
    blocks = message.blocks
    if len(blocks) >= 2:
        middle = len(blocks) // 2
        return [
            RenderedMessage(text=message.text, blocks=blocks[:middle]),
            RenderedMessage(text=message.text, blocks=blocks[middle:]),
        ]
    only = blocks[0] if blocks else None
    body = only["text"]["text"] if only and isinstance(only.get("text"), dict) else message.text
    limit = min(SECTION_TEXT_CHARS, max(200, len(body) // 2 + 1))
    return [RenderedMessage(text=p, blocks=[section(p)]) for p in split_text(body, limit)]


class ThreadReply:
    # Progress lives in a placeholder message posted first; without one (its post failed),
    # partial results wait for the final message instead of adding posts.
    placeholder_first = True

    def __init__(self, ctx: SlackContext, job: Job) -> None:
        self.ctx = ctx
        self.job = job
        self.ts: str | None = job.reply_ts
        self._part = 1  # the part the next continuation post is (the reply message is 1)
        # Parts earlier runs of this job posted (a re-run only): read once, when first needed.
        self._earlier: dict[int, _Posted] | None = None if job.attempts > 1 else {}

    @property
    def client(self) -> AsyncWebClient:
        return self.ctx.client

    # --- progress: best effort ----------------------------------------------------------------

    async def react(self, name: str = WORKING_REACTION) -> None:
        await self._reaction("reactions_add", name)

    async def unreact(self, name: str = WORKING_REACTION) -> None:
        await self._reaction("reactions_remove", name)

    async def _reaction(self, method: str, name: str) -> None:
        """Reactions are decoration: failing to add or remove one never fails the job."""
        try:
            await getattr(self.client, method)(
                channel=self.job.channel, timestamp=self.job.ts, name=name
            )
        except Exception as exc:
            fault = classify(exc)
            if fault is None:
                raise
            if fault.error not in ("already_reacted", "no_reaction"):
                count_failure(fault)
                log.warning("%s failed for job %s: %s", method, self.job.id, fault.error)

    async def settle_previous(self) -> None:
        """A resumed job's reply may be a stream its dead worker left open: stop it first,
        so the edit that follows is the message's final form."""
        if self.ts is None:
            return
        try:
            await self.client.chat_stopStream(channel=self.job.channel, ts=self.ts)
        except Exception as exc:
            if classify(exc) is None:
                raise
            # not a stream, or already stopped: nothing to settle

    async def title(self, text: str) -> None:
        """Name the conversation after its article (only the assistant pane has titles)."""
        return None

    async def status(self, text: str) -> None:
        """Show progress in the reply message, creating it if needed; best effort."""
        await self.progress(status_message(text))

    async def progress(self, message: RenderedMessage) -> None:
        """Show a partial state; a failure is logged, unless it means the job cannot go on."""
        try:
            await self.show(message)
        except Exception as exc:
            fault = slack_fault(exc)
            if fault is None or fault.fault in STOPPING:
                raise
            count_failure(fault)
            log.warning("progress update failed for job %s: %s", self.job.id, fault.error)

    # --- the result: must arrive --------------------------------------------------------------

    async def show(self, message: RenderedMessage) -> None:
        """Put `message` in the reply slot: edit it if it exists, else post and remember it."""
        if self.ts is not None:
            await self.client.chat_update(
                channel=self.job.channel, ts=self.ts, text=message.text, blocks=message.blocks
            )
            return
        await self._post_reply(message)

    async def finish(self, parts: list[RenderedMessage]) -> None:
        """The result: the first part replaces the reply message, the rest follow in the thread.

        Parts an earlier run posted stay where they are as long as they match, in order; from
        the first one that does not, the earlier posts are removed and the parts posted anew."""
        first, *rest = parts
        before = self.ts
        pieces = await self._replace(first)
        earlier = await self._earlier_parts()
        if self.ts != before:  # a new reply message: earlier parts would now come before it
            earlier = dict(earlier)
            await self._drop(earlier, keep_below=2)
        self._part = 1
        for message in [*pieces, *rest]:
            await self._post(message, earlier)
        await self._drop(earlier, keep_below=self._part + 1)
        await self.unreact()

    async def _replace(self, message: RenderedMessage, depth: int = 0) -> list[RenderedMessage]:
        """Make `message` the reply; returns pieces still to post if it had to be split."""
        if self.ts is None:
            return await self._post_reply(message)
        try:
            await self.show(message)
            return []
        except Exception as exc:
            fault = slack_fault(exc)
            if fault is None or fault.fault in STOPPING:
                raise
            count_failure(fault)
            if fault.fault == "msg_too_long" and depth < RESPLIT_DEPTH:
                first, *rest = halved(message)
                return [*await self._replace(first, depth + 1), *rest]
            log.warning(
                "could not edit the reply of job %s (%s); posting the result anew",
                self.job.id,
                fault.error,
            )
        # Delete first: if the process dies before the new reply is posted, the resumed job
        # finds the old ts gone and posts; deleting after posting could leave two results.
        await self.delete(self.ts)
        self.ts = None
        return await self._post_reply(message)

    async def _post_reply(self, message: RenderedMessage) -> list[RenderedMessage]:
        """Post the reply message and save its ts on the job; pieces left if it was split.

        A re-run whose reply message was posted although its ts never reached the job (the
        answer was lost, or the worker died first) edits that message instead."""
        found = (await self._earlier_parts()).pop(1, None)
        if found is not None:
            self.ts = found.ts
            await self.ctx.store.set_job_reply(self.job.id, found.ts)
            return await self._replace(message)
        try:
            ts = await self._send(message)
            rest: list[RenderedMessage] = []
        except Exception as exc:
            fault = slack_fault(exc)
            if fault is None or fault.fault != "msg_too_long":
                raise
            count_failure(fault)
            first, *rest = halved(message)
            ts = await self._send(first)
        self.ts = ts
        await self.ctx.store.set_job_reply(self.job.id, self.ts)
        return rest

    async def _post(
        self, message: RenderedMessage, earlier: dict[int, _Posted], depth: int = 0
    ) -> None:
        """Post the next part in the thread (split smaller if Slack finds it too long), unless
        an earlier run posted it with this content; a different one there is replaced, with
        every earlier part after it, so the order holds."""
        part, mark = self._part + 1, digest(message)
        posted = earlier.get(part)
        if posted is not None and posted.digest == mark:
            del earlier[part]
            self._part = part
            return
        await self._drop(earlier, keep_below=part)
        try:
            await self._send(message, part=part, mark=mark)
        except Exception as exc:
            fault = slack_fault(exc)
            if fault is None or fault.fault != "msg_too_long" or depth >= RESPLIT_DEPTH:
                raise
            count_failure(fault)
            for piece in halved(message):
                await self._post(piece, earlier, depth + 1)
            return
        self._part = part

    async def _drop(self, earlier: dict[int, _Posted], *, keep_below: int) -> None:
        """Delete the parts earlier runs posted from number `keep_below` on."""
        for part in sorted(p for p in earlier if p >= keep_below):
            await self.delete(earlier.pop(part).ts)

    async def _earlier_parts(self) -> dict[int, _Posted]:
        """The parts earlier runs of this job left in the thread, by number (a re-run reads
        the thread once; a first run has none)."""
        if self._earlier is None:
            self._earlier = {}
            for found in await self._thread():
                meta = found.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                part = payload.get("part")
                if (
                    meta.get("event_type") == REPLY_EVENT
                    and payload.get("job") == self.job.id
                    and isinstance(part, int)
                    and part not in self._earlier
                ):
                    self._earlier[part] = _Posted(str(found["ts"]), str(payload.get("mark", "")))
        return self._earlier

    async def _send(self, message: RenderedMessage, *, part: int = 1, mark: str = "") -> str:
        """Post one message in the thread (part 1: the reply message); returns its ts.

        The client does not repeat a post Slack may already have made (see `web_api`): each
        post carries metadata naming it (job, part, content digest), and before trying again
        the thread is searched for it, so a lost answer never turns into a duplicate message.
        """
        payload: dict[str, Any] = {"job": self.job.id, "part": part}
        if mark:
            payload["mark"] = mark
        metadata = {"event_type": REPLY_EVENT, "event_payload": payload}
        settings = self.ctx.settings
        for attempt in range(settings.slack_max_retries + 1):
            try:
                response = await self.client.chat_postMessage(
                    channel=self.job.channel,
                    thread_ts=self.job.thread_ts,
                    text=message.text,
                    blocks=message.blocks,
                    metadata=metadata,
                    **_POST_OPTIONS,
                )
                return str(response["ts"])
            except Exception as exc:
                fault = classify(exc)
                if fault is None or not (fault.transient and fault.ambiguous):
                    raise
                found = await self._find_post(payload)
                if found is not None:
                    log.info("post of job %s went through despite %s", self.job.id, fault.error)
                    return found
                if attempt == settings.slack_max_retries:
                    raise
                SLACK_RETRIES.labels(fault=fault.fault).inc()
                await asyncio.sleep(backoff_delay(settings.slack_retry_base_seconds, attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _thread(self) -> list[dict[str, Any]]:
        """The thread's messages with their metadata; [] if Slack will not say."""
        try:
            page = await self.client.conversations_replies(
                channel=self.job.channel,
                ts=self.job.thread_ts,
                include_all_metadata=True,
                limit=1000,
            )
        except Exception as exc:
            fault = classify(exc)
            if fault is None:
                raise
            count_failure(fault)
            log.warning("could not read thread of job %s: %s", self.job.id, fault.error)
            return []
        return [m for m in page.get("messages") or [] if isinstance(m, dict)]

    async def _find_post(self, payload: dict[str, Any]) -> str | None:
        """The ts of the bot's message in the thread carrying `payload`, if Slack has it."""
        for found in await self._thread():
            meta = found.get("metadata") or {}
            if meta.get("event_type") == REPLY_EVENT and meta.get("event_payload") == payload:
                return str(found["ts"])
        return None

    async def find_stream(self, started_with: str) -> str | None:
        """A stream this job started although Slack's answer to chat.startStream was lost.

        Streams carry no metadata: the candidate is the bot's one message, after the request,
        that is not one of its named posts and begins with the text the stream began with.
        """
        key = _letters(started_with)[:24]
        candidates = [
            str(m["ts"])
            for m in await self._thread()
            if m.get("bot_id") == self.ctx.bot_id
            and float(m.get("ts", 0)) > float(self.job.ts)
            and (m.get("metadata") or {}).get("event_type") != REPLY_EVENT
            and key
            and _letters(str(m.get("text", ""))).startswith(key)
        ]
        return candidates[0] if len(candidates) == 1 else None

    async def delete(self, ts: str) -> None:
        """Remove a superseded message (a placeholder or a broken stream); best effort."""
        try:
            await self.client.chat_delete(channel=self.job.channel, ts=ts)
        except Exception as exc:
            fault = slack_fault(exc)
            if fault is None:
                raise
            count_failure(fault)
            log.warning("could not delete message %s of job %s: %s", ts, self.job.id, fault.error)


def _letters(text: str) -> str:
    """Letters and digits only: compares texts across Slack's escaping and formatting."""
    return "".join(c for c in text.lower() if c.isalnum())
