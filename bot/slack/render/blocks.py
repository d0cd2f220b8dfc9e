"""Block Kit messages for summaries, answers, progress and errors.

Every string that came from an article or a model goes through `mrkdwn.py` (escaped, pings
broken, foreign URLs defanged) before our own markup is wrapped around it. Every mrkdwn text
object is sent with `verbatim: true`, so Slack itself does not auto-link URLs or parse mentions in
it either: the only links in our messages are the `<url|text>` we build. Messages are packed
within Slack's limits by `split.pack_blocks`, so one result may become several messages.
Callers must not set `link_names` when posting these: nothing here relies on it, and it would
make Slack expand names again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.analysis.models import Actor, AnswerResult, Bullet, Quote, SummaryResult
from bot.domain.article import Article
from bot.slack.render.escape import (
    escape_markdown_literal,
    escape_markdown_stream,
    escape_text,
    strip_formatting,
)
from bot.slack.render.limits import CONTEXT_TEXT_CHARS, FALLBACK_TEXT_CHARS, HEADER_TEXT_CHARS
from bot.slack.render.mrkdwn import (
    inline_to_mrkdwn,
    plain_to_markdown,
    plain_to_mrkdwn,
    slack_link,
    to_mrkdwn,
)
from bot.slack.render.split import pack_blocks, truncate_text

__all__ = [
    "NOT_SAID",
    "UNSUPPORTED_WARNING",
    "RenderedMessage",
    "answer_message",
    "answer_stream_tail",
    "error_message",
    "escape_markdown_stream",
    "status_message",
    "summary_message",
]

NOT_SAID = "The article doesn't say."
UNSUPPORTED_WARNING = (
    "I couldn't find quotes in the article that support this answer — treat it with care."
)
FOLLOW_UP = (
    "Ask a follow-up question in this thread and I'll answer it from the article, with quotes."
)
WARNING_SIGN = "⚠️"
INFO_SIGN = "ℹ️"
_NOT_SAID_START = re.compile(r"^\W*the article (?:doesn['’]t|does not) (?:say|mention)", re.I)

Block = dict[str, Any]


@dataclass(frozen=True)
class RenderedMessage:
    """One Slack message: `text` is the escaped notification / fallback text, always set."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def _text_object(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str) -> Block:
    """A section of already-rendered mrkdwn (split later if it is too long)."""
    return {"type": "section", "text": _text_object(text)}


def context(*texts: str) -> Block:
    """A context block (small grey text) of already-rendered mrkdwn elements."""
    return {"type": "context", "elements": [_text_object(t) for t in texts]}


def header(title: str) -> Block:
    """A header from untrusted plain text: escaped (Slack decodes entities in text objects)."""
    text = truncate_text(escape_text(" ".join(title.split())), HEADER_TEXT_CHARS)
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _fallback(raw: str, allowed: Sequence[str] = ()) -> str:
    flat = " ".join(raw.split())
    return truncate_text(plain_to_mrkdwn(flat, allowed_links=allowed), FALLBACK_TEXT_CHARS)


def _messages(blocks: list[Block], fallback: str, continued: str) -> list[RenderedMessage]:
    groups = pack_blocks(blocks)
    if len(groups) == 1:
        return [RenderedMessage(text=fallback, blocks=groups[0])]
    return [
        RenderedMessage(
            text=fallback
            if n == 1
            else truncate_text(f"{continued} (part {n} of {len(groups)})", FALLBACK_TEXT_CHARS),
            blocks=group,
        )
        for n, group in enumerate(groups, start=1)
    ]


def _refs(paragraphs: Iterable[int]) -> str:
    numbers = sorted(set(paragraphs))
    return f" ({', '.join(f'¶{n}' for n in numbers)})" if numbers else ""


def _quote_line(quote: Quote, allowed: Sequence[str]) -> str:
    text = " ".join(quote.text.split())
    return f"> “{plain_to_mrkdwn(text, allowed_links=allowed)}” ¶{quote.paragraph}"


def _bold(text: str, allowed: Sequence[str] = ()) -> str:
    core = strip_formatting(plain_to_mrkdwn(" ".join(text.split()), allowed_links=allowed))
    return f"*{core}*" if core else ""


def reading_note(article: Article, coverage: float) -> str:
    """ "read in full" or "read 60% (paragraphs 1–40 of 66)": how much the summary is based on."""
    total = len(article.paragraphs)
    if coverage >= 1.0 or total == 0:
        return "read in full"
    covered = min(total, max(1, round(coverage * total)))
    return f"read {math.floor(coverage * 100)}% (paragraphs 1–{covered} of {total})"


def _source_link(url: str) -> str:
    host = urlsplit(url).hostname or "source"
    return slack_link(url, host.removeprefix("www."))


def meta_line(article: Article, result: SummaryResult) -> str:
    """Site · author · date · source link · words · how much was read (rendered mrkdwn)."""
    parts = [plain_to_mrkdwn(p) for p in (article.site_name,) if p]
    if article.author:
        parts.append("by " + plain_to_mrkdwn(article.author))
    if article.published:
        parts.append(plain_to_mrkdwn(article.published))
    if article.url and article.url.lower().startswith(("http://", "https://")):
        parts.append(_source_link(article.url))
    parts.append(f"{article.words:,} words")
    parts.append(reading_note(article, result.coverage))
    return " · ".join(parts)


def _bullets(bullets: Sequence[Bullet], allowed: Sequence[str]) -> str:
    lines = [
        f"• {inline_to_mrkdwn(b.text, allowed_links=allowed)}{_refs(b.paragraphs)}"
        for b in bullets
        if b.text.strip()
    ]
    return "\n".join(["*Key points*", *lines]) if lines else ""


def _actor(actor: Actor, allowed: Sequence[str]) -> str:
    title = _bold(actor.name)
    if actor.kind != "other":
        title += f" · {actor.kind}"
    if actor.role.strip():
        title += " — " + inline_to_mrkdwn(actor.role, allowed_links=allowed)
    lines = [title]
    if actor.did.strip():
        lines.append(inline_to_mrkdwn(actor.did, allowed_links=allowed))
    lines += [_quote_line(q, allowed) for q in actor.quotes if q.text.strip()]
    return "\n".join(lines)


def _notes(*notes: str | None) -> list[Block]:
    return [context(f"{INFO_SIGN} {plain_to_mrkdwn(n)}") for n in notes if n and n.strip()]


def summary_message(
    article: Article,
    result: SummaryResult,
    *,
    read_note: str | None = None,
    extra_note: str | None = None,
) -> list[RenderedMessage]:
    """The thread reply for a summary: header, facts, notices, TL;DR, key points, key actors.

    Caveats (engine notice, what was read) come before the content so nobody reads a partial or
    extractive summary without knowing it.
    """
    allowed = [article.url] if article.url else []
    summary = result.summary
    blocks: list[Block] = [header(article.display_title), context(meta_line(article, result))]
    blocks += _notes(result.notice, read_note, extra_note)
    if summary.tldr.strip():
        blocks.append(section("*TL;DR* " + inline_to_mrkdwn(summary.tldr, allowed_links=allowed)))
    if bullets := _bullets(summary.bullets, allowed):
        blocks.append(section(bullets))
    actors = [a for a in result.actors if a.name.strip()]
    for n, actor in enumerate(actors):
        blocks.append(section(("*Key actors*\n" if n == 0 else "") + _actor(actor, allowed)))
    blocks.append(context(FOLLOW_UP))
    title = " ".join(article.display_title.split())
    fallback = _fallback(f"Summary of “{title}”: {summary.tldr}", allowed)
    return _messages(blocks, fallback, _fallback(f"Summary of “{title}”, continued"))


def _says_not_said(text: str) -> bool:
    return _NOT_SAID_START.match(text) is not None


def answer_message(
    result: AnswerResult, *, allowed_links: Sequence[str] = ()
) -> list[RenderedMessage]:
    """A grounded answer: warning if unsupported, the answer, its verified quotes, any notice."""
    answer = result.answer
    allowed = list(allowed_links)
    blocks: list[Block] = []
    if answer.answerable and not answer.supported:
        blocks.append(section(f"{WARNING_SIGN} *{UNSUPPORTED_WARNING}*"))
    body = answer.answer.strip()
    if not answer.answerable and not _says_not_said(body):
        blocks.append(section(f"*{NOT_SAID}*"))
    if body:
        blocks.append(section(to_mrkdwn(body, allowed_links=allowed)))
    quotes = [_quote_line(q, allowed) for q in answer.quotes if q.text.strip()]
    if quotes:
        blocks.append(section("\n".join(quotes)))
    blocks += _notes(result.notice)
    raw = body if answer.answerable or _says_not_said(body) else f"{NOT_SAID} {body}"
    fallback = _fallback(raw or NOT_SAID, allowed)
    return _messages(blocks, fallback, "Answer, continued")


def answer_stream_tail(result: AnswerResult, *, allowed_links: Sequence[str] = ()) -> str:
    """Standard Markdown appended after a streamed answer: not-said, warning, quotes, notice.

    The answer text itself was already streamed (through `escape_markdown_stream`); this adds
    what only the final result knows. Quotes are separate block quotes (a blank line between
    them, or Markdown would merge them) and verbatim: Markdown punctuation in them is escaped.
    Longer than `limits.MARKDOWN_TEXT_CHARS`? Send it in `split.split_text` chunks.
    """
    answer = result.answer
    parts: list[str] = []
    if not answer.answerable and not _says_not_said(answer.answer.strip()):
        parts.append(f"**{escape_markdown_literal(NOT_SAID)}**")
    if answer.answerable and not answer.supported:
        parts.append(f"{WARNING_SIGN} **{escape_markdown_literal(UNSUPPORTED_WARNING)}**")
    for quote in answer.quotes:
        text = " ".join(quote.text.split())
        if text:
            shown = plain_to_markdown(text, allowed_links=allowed_links)
            parts.append(f"> “{shown}” ¶{quote.paragraph}")
    if result.notice and result.notice.strip():
        parts.append(f"{INFO_SIGN} _{plain_to_markdown(result.notice.strip())}_")
    return "\n\n" + "\n\n".join(parts) if parts else ""


def _short(text: str) -> str:
    """One line of plain text, rendered, and short enough for any single text object."""
    rendered = plain_to_mrkdwn(" ".join(text.split()))
    return truncate_text(rendered, CONTEXT_TEXT_CHARS - len(WARNING_SIGN) - 1)


def status_message(text: str) -> RenderedMessage:
    """A one-line progress note ("Reading the article…")."""
    rendered = _short(text)
    return RenderedMessage(
        text=truncate_text(rendered, FALLBACK_TEXT_CHARS), blocks=[context(rendered)]
    )


def error_message(text: str, *, hint: str | None = None) -> RenderedMessage:
    """A failure the user can act on: the message, and an optional hint ("paste the text")."""
    rendered = _short(text)
    blocks = [section(f"{WARNING_SIGN} {rendered}")]
    if hint and hint.strip():
        blocks.append(context(_short(hint)))
    return RenderedMessage(text=truncate_text(rendered, FALLBACK_TEXT_CHARS), blocks=blocks)
