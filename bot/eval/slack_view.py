"""What Slack would receive for a result, through the bot's own renderer (`bot.slack.render`).

Two ways an answer reaches Slack: a Block Kit message (`answer_message`, the chat.update path)
and the streamed Markdown (each delta through `StreamLinkGuard`, then `answer_stream_tail`),
exactly as `bot.slack.streaming.StreamApiOutput` sends it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from bot.analysis.models import AnswerDelta, AnswerDone, AnswerEvent, AnswerResult, SummaryResult
from bot.domain.article import Article
from bot.slack.render import RenderedMessage, answer_message, answer_stream_tail, summary_message
from bot.slack.render.stream import StreamLinkGuard


def _texts(value: Any) -> list[str]:
    """Every `text` string in a Block Kit payload (text objects, headers, context elements)."""
    if isinstance(value, dict):
        out = [value["text"]] if isinstance(value.get("text"), str) else []
        for key, item in value.items():
            if key != "text" or not isinstance(item, str):
                out += _texts(item)
        return out
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


def message_texts(messages: Sequence[RenderedMessage]) -> str:
    """All text of the messages (notification text and blocks), one string to inspect."""
    return "\n".join(m.text + "\n" + "\n".join(_texts(m.blocks)) for m in messages)


def allowed_links(article: Article) -> list[str]:
    return [article.url] if article.url else []


def summary_view(article: Article, result: SummaryResult) -> str:
    return message_texts(summary_message(article, result))


def answer_view(article: Article, result: AnswerResult) -> str:
    return message_texts(answer_message(result, allowed_links=allowed_links(article)))


async def stream_view(
    article: Article, events: AsyncIterator[AnswerEvent]
) -> tuple[str, AnswerResult]:
    """The streamed Markdown Slack would receive, and the final result."""
    allowed = allowed_links(article)
    guard = StreamLinkGuard(allowed)
    parts: list[str] = []
    result: AnswerResult | None = None
    async for event in events:
        if isinstance(event, AnswerDelta):
            parts.append(guard.feed(event.text))
        elif isinstance(event, AnswerDone):
            result = event.result
    if result is None:
        raise RuntimeError("answer stream ended without a result")
    parts.append(guard.finish())
    parts.append(answer_stream_tail(result, allowed_links=allowed))
    return "".join(parts), result
