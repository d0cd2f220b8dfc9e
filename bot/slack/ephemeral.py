"""Replies only the requester sees: through the `response_url` Slack gives with a slash command
or a button click, so they work even where the bot is not a member of the conversation.

Same interface as `ThreadReply`, so the job runner's failure messages reach the requester too.
There is no progress here (Slack already showed the command's ack); the first part of the result
replaces that ack, the others follow. A response_url takes 5 posts within 30 minutes; a post it
refuses is logged, since there is nowhere else to say it.
"""

from __future__ import annotations

import logging

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.context import SlackContext
from bot.slack.pane_reply import PaneReply
from bot.slack.render import RenderedMessage
from bot.slack.replies import ThreadReply
from bot.store.records import Job

log = logging.getLogger(__name__)

# Job kinds whose replies go to the requester alone.
EPHEMERAL_KINDS = frozenset({"command", "share"})


class EphemeralReply(ThreadReply):
    def __init__(self, ctx: SlackContext, job: Job, response_url: str) -> None:
        super().__init__(ctx, job)
        self.response_url = response_url

    async def react(self, name: str = "") -> None:
        return None  # no message of the user's to react to

    async def unreact(self, name: str = "") -> None:
        return None

    async def settle_previous(self) -> None:
        return None

    async def progress(self, message: RenderedMessage) -> None:
        return None  # the command's ack already says "reading…"

    async def finish(self, parts: list[RenderedMessage]) -> None:
        for n, part in enumerate(parts):
            await self.respond(part, replace=n == 0)

    async def respond(self, message: RenderedMessage, *, replace: bool = False) -> None:
        await respond_ephemeral(self.response_url, message, replace=replace, about=self.job.id)


async def respond_ephemeral(
    url: str, message: RenderedMessage, *, replace: bool = False, about: int | None = None
) -> None:
    """Post `message` to a response_url for its requester alone; failures are logged only."""
    client = AsyncWebhookClient(url, timeout=10)
    try:
        response = await client.send(
            text=message.text,
            blocks=message.blocks or None,
            response_type="ephemeral",
            replace_original=replace,
        )
    except Exception:
        log.exception("response_url post failed (job %s)", about)
        return
    if response.status_code != 200:
        log.warning(
            "response_url refused a reply (job %s): %s %s",
            about,
            response.status_code,
            response.body,
        )


class SilentReply(ThreadReply):
    """For jobs with no conversation to reply in (the App Home): failures are only logged."""

    async def react(self, name: str = "") -> None:
        return None

    async def unreact(self, name: str = "") -> None:
        return None

    async def settle_previous(self) -> None:
        return None

    async def progress(self, message: RenderedMessage) -> None:
        return None

    async def finish(self, parts: list[RenderedMessage]) -> None:
        log.warning("job %s (%s) ended with: %s", self.job.id, self.job.kind, parts[0].text)


# Job kinds with nowhere to reply.
SILENT_KINDS = frozenset({"home"})


def reply_for(ctx: SlackContext, job: Job) -> ThreadReply:
    """Where the job's replies go: its thread (the pane's, with status and title), or
    (commands, shares) the requester alone."""
    url = job.payload.get("response_url")
    if job.kind in EPHEMERAL_KINDS and isinstance(url, str) and url:
        return EphemeralReply(ctx, job, url)
    if job.kind in SILENT_KINDS:
        return SilentReply(ctx, job)
    if job.payload.get("pane"):
        return PaneReply(ctx, job)
    return ThreadReply(ctx, job)
