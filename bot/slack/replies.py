"""The bot's reply to one job: a progress sign at once, then one message that becomes the result.

The first message's ts is saved on the job before anything slow happens, so if the process dies
and the job is resumed, the same message is edited: the user never gets two replies.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.context import SlackContext
from bot.slack.render import RenderedMessage, status_message
from bot.store.records import Job

log = logging.getLogger(__name__)

WORKING_REACTION = "eyes"
# Bot replies never unfurl links (an article link would add a large preview) and never
# expand names into pings (link_names is never sent).
_POST_OPTIONS: dict[str, Any] = {"unfurl_links": False, "unfurl_media": False}


class ThreadReply:
    def __init__(self, ctx: SlackContext, job: Job) -> None:
        self.ctx = ctx
        self.job = job
        self.ts: str | None = job.reply_ts

    @property
    def client(self) -> AsyncWebClient:
        return self.ctx.client

    async def react(self, name: str = WORKING_REACTION) -> None:
        await self._reaction("reactions_add", name)

    async def unreact(self, name: str = WORKING_REACTION) -> None:
        await self._reaction("reactions_remove", name)

    async def _reaction(self, method: str, name: str) -> None:
        """Reactions are decoration: failing to add one must not fail the job."""
        try:
            await getattr(self.client, method)(
                channel=self.job.channel, timestamp=self.job.ts, name=name
            )
        except SlackApiError as exc:
            if exc.response.get("error") not in ("already_reacted", "no_reaction"):
                log.warning("%s failed: %s", method, exc.response.get("error"))

    async def settle_previous(self) -> None:
        """A resumed job's reply may be a stream its dead worker left open: stop it first,
        so the edit that follows is the message's final form."""
        if self.ts is None:
            return
        with contextlib.suppress(SlackApiError):  # not a stream, or already stopped
            await self.client.chat_stopStream(channel=self.job.channel, ts=self.ts)

    async def status(self, text: str) -> None:
        """Show progress in the reply message, creating it if needed."""
        await self.show(status_message(text))

    async def show(self, message: RenderedMessage) -> None:
        """Put `message` in the reply slot: edit it if it exists, else post and remember it."""
        if self.ts is not None:
            await self.client.chat_update(
                channel=self.job.channel, ts=self.ts, text=message.text, blocks=message.blocks
            )
            return
        response = await self.client.chat_postMessage(
            channel=self.job.channel,
            thread_ts=self.job.thread_ts,
            text=message.text,
            blocks=message.blocks,
            **_POST_OPTIONS,
        )
        ts: str = response["ts"]  # chat.postMessage always answers with the new message's ts
        self.ts = ts
        await self.ctx.store.set_job_reply(self.job.id, ts)

    async def finish(self, parts: list[RenderedMessage]) -> None:
        """The result: the first part replaces the reply message, the rest follow in the thread."""
        first, *rest = parts
        await self.show(first)
        for part in rest:
            await self.client.chat_postMessage(
                channel=self.job.channel,
                thread_ts=self.job.thread_ts,
                text=part.text,
                blocks=part.blocks,
                **_POST_OPTIONS,
            )
        await self.unreact()
