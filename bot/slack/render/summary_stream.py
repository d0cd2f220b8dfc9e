"""The summary while the model writes it: header, TL;DR and key points so far, and a note that
more is coming. Key actors (and so every quote) appear only in the final, verified message."""

from __future__ import annotations

from bot.analysis.models import Summary
from bot.domain.article import Article
from bot.slack.render.blocks import Block, RenderedMessage, context, header, section
from bot.slack.render.limits import FALLBACK_TEXT_CHARS, SECTION_TEXT_CHARS
from bot.slack.render.mrkdwn import inline_to_mrkdwn
from bot.slack.render.split import truncate_text

WRITING = "✍️ Writing the summary… key actors and their checked quotes follow."


def summary_progress(article: Article, summary: Summary) -> RenderedMessage:
    allowed = [article.url] if article.url else []
    blocks: list[Block] = [header(article.display_title)]
    tldr = inline_to_mrkdwn(summary.tldr, allowed_links=allowed) if summary.tldr else ""
    if tldr:
        blocks.append(section(truncate_text("*TL;DR* " + tldr, SECTION_TEXT_CHARS)))
    points = "\n".join(
        "• " + inline_to_mrkdwn(b.text, allowed_links=allowed) for b in summary.bullets
    )
    if points:
        blocks.append(section(truncate_text("*Key points*\n" + points, SECTION_TEXT_CHARS)))
    blocks.append(context(WRITING))
    fallback = truncate_text(tldr or WRITING, FALLBACK_TEXT_CHARS)
    return RenderedMessage(text=fallback, blocks=blocks)
