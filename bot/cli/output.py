"""Terminal output for the CLI: readable text, and the stable `--json` documents."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from bot.analysis.grounding import NOT_SAID
from bot.analysis.models import AnswerResult, Quote, SummaryResult
from bot.domain.article import Article

_WIDTH = 88
_SAYS_NOT_SAID = re.compile(r"^\W*the article (?:doesn['’]t|does not) (?:say|mention)", re.I)


def _wrap(text: str, indent: str = "", first: str | None = None) -> str:
    return textwrap.fill(
        text,
        width=_WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _refs(numbers: list[int]) -> str:
    return f" [¶{', '.join(map(str, numbers))}]" if numbers else ""


def _quote(quote: Quote, indent: str) -> str:
    return _wrap(f"“{quote.text}” (¶{quote.paragraph})", indent=indent + "  ", first=indent + "> ")


def article_header(article: Article) -> str:
    facts = [f for f in (article.site_name, article.author, article.published) if f]
    facts.append(f"{article.words:,} words, {len(article.paragraphs)} paragraphs")
    lines = [article.display_title, " · ".join(facts)]
    if article.url:
        lines.append(article.url)
    return "\n".join(lines)


def summary_text(article: Article, result: SummaryResult) -> str:
    parts = [article_header(article), ""]
    if result.notice:
        parts += [_wrap(f"Note: {result.notice}"), ""]
    parts += [_wrap(result.summary.tldr, first="TL;DR: ", indent="       "), "", "Key points"]
    parts += [
        _wrap(b.text + _refs(b.paragraphs), first="  • ", indent="    ")
        for b in result.summary.bullets
    ]
    if result.actors:
        parts += ["", "Key actors"]
        for actor in result.actors:
            role = f": {actor.role}" if actor.role else ""
            parts.append(_wrap(f"{actor.name} ({actor.kind}){role}", first="  • ", indent="    "))
            if actor.did:
                parts.append(_wrap(actor.did, indent="    "))
            parts += [_quote(q, "    ") for q in actor.quotes]
    return "\n".join(parts)


def answer_footer(result: AnswerResult) -> str:
    """What follows a streamed answer: the verified quotes and any warning."""
    parts: list[str] = []
    answer = result.answer
    if not answer.answerable and not _SAYS_NOT_SAID.match(answer.answer):
        parts.append(f"({NOT_SAID})")
    if answer.answerable and not answer.supported:
        parts.append(
            "(Unsupported: none of the quotes given for this answer could be found in "
            "the article. Treat it with care.)"
        )
    if answer.quotes:
        parts.append("")
        parts += [_quote(q, "") for q in answer.quotes]
    if result.notice:
        parts += ["", _wrap(f"Note: {result.notice}")]
    return "\n".join(parts)


def _usage(result: SummaryResult | AnswerResult) -> dict[str, int]:
    return result.usage.model_dump()


def summary_json(article: Article, result: SummaryResult) -> dict[str, Any]:
    return {
        "article": {
            "title": article.title,
            "url": article.url,
            "words": article.words,
            "tokens": article.tokens,
            "paragraphs": len(article.paragraphs),
            "truncated": result.coverage < 1.0,
        },
        "summary": result.summary.model_dump(),
        "actors": [a.model_dump() for a in result.actors],
        "engine": result.engine,
        "usage": _usage(result),
        "dropped_quotes": result.dropped_quotes,
        "notice": result.notice,
    }


def answer_json(result: AnswerResult) -> dict[str, Any]:
    return {
        "answer": result.answer.answer,
        "answerable": result.answer.answerable,
        "supported": result.answer.supported,
        "quotes": [q.model_dump() for q in result.answer.quotes],
        "engine": result.engine,
        "usage": _usage(result),
        "dropped_quotes": result.dropped_quotes,
        "notice": result.notice,
    }
