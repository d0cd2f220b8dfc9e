"""Replies in Slack's assistant pane: progress is the pane's status line ("is reading the
article…") rather than a placeholder message, and the thread is titled after its article.

Both are best effort: a status or title Slack refuses is logged and the work goes on. Slack
clears the status itself when the reply is posted.
"""

from __future__ import annotations

import logging

from bot.slack.replies import ThreadReply
from bot.slack.web_api import classify, count_failure

log = logging.getLogger(__name__)

STATUS_CHARS = 50  # Slack shows the status on one short line


class PaneReply(ThreadReply):
    placeholder_first = False  # progress is the status line: the first partial is the post

    async def status(self, text: str) -> None:
        short = text if len(text) <= STATUS_CHARS else text[: STATUS_CHARS - 1] + "…"
        await self._assistant("setStatus", status=short[:1].lower() + short[1:])

    async def title(self, text: str) -> None:
        await self._assistant("setTitle", title=" ".join(text.split())[:200])

    async def _assistant(self, method: str, **fields: str) -> None:
        try:
            call = getattr(self.client, f"assistant_threads_{method}")
            await call(channel_id=self.job.channel, thread_ts=self.job.thread_ts, **fields)
        except Exception as exc:
            fault = classify(exc)
            if fault is None:
                raise
            count_failure(fault)
            log.warning(
                "assistant.threads.%s failed for job %s: %s", method, self.job.id, fault.error
            )
