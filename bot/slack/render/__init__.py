"""Rendering results for Slack: escaping, Markdown -> mrkdwn, Block Kit messages, splitting.

Pure functions from result models to Slack payloads; no Slack API calls, no LLM or HTML
knowledge. Untrusted text (article, model) is always made inert before our markup is added.
"""

from bot.slack.render.blocks import (
    NOT_SAID,
    UNSUPPORTED_WARNING,
    RenderedMessage,
    answer_message,
    answer_stream_tail,
    error_message,
    status_message,
    summary_message,
)
from bot.slack.render.escape import escape_markdown_stream, escape_text
from bot.slack.render.mrkdwn import plain_to_mrkdwn, to_mrkdwn
from bot.slack.render.split import pack_blocks, split_text

__all__ = [
    "NOT_SAID",
    "UNSUPPORTED_WARNING",
    "RenderedMessage",
    "answer_message",
    "answer_stream_tail",
    "error_message",
    "escape_markdown_stream",
    "escape_text",
    "pack_blocks",
    "plain_to_mrkdwn",
    "split_text",
    "status_message",
    "summary_message",
    "to_mrkdwn",
]
