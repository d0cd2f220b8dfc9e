"""Plain text, Markdown and pasted text to Article.

Paragraphs are separated by blank lines (single newlines are hard wraps). Markdown's leading
`# Heading` is the title; in plain and pasted text a short first line that reads like a
headline is. A "By Name, Outlet — date" line near the top becomes metadata, not a paragraph.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.domain.article import Article, clean_paragraph
from bot.ingest.extract._byline import Byline, parse_byline
from bot.ingest.extract._decode import ensure_textual
from bot.ingest.extract._markdown import parse_markdown
from bot.ingest.extract.quality import check_words, effective_words

TextKind = Literal["text", "markdown", "pasted"]

# A first line this short, not ending like a sentence, followed by more text, is a title.
TITLE_MAX_WORDS = 15
TITLE_MAX_CHARS = 150
# A line longer than this is not a hard wrap: text wrapped by hand stays under ~80 columns.
WRAP_MAX_CHARS = 120
# Bylines are looked for among the first few paragraphs only.
BYLINE_SEARCH_PARAGRAPHS = 3
_SENTENCE_END = re.compile(r"[.!?;:,…]['\"’”)]*$")
_MARKDOWN_HEADING = re.compile(r"\A\s*#\s+\S")


def _looks_like_title(line: str) -> bool:
    line = clean_paragraph(line)
    return (
        0 < len(line) <= TITLE_MAX_CHARS
        and len(line.split()) <= TITLE_MAX_WORDS
        and not _SENTENCE_END.search(line)
    )


def _block_paragraphs(block: str) -> list[str]:
    """One blank-line block: a hard-wrapped paragraph, or one paragraph per line when the
    lines are too long to be wraps (text copied from a web page keeps single newlines)."""
    lines = [line for line in block.split("\n") if line.strip()]
    if len(lines) > 1 and any(len(line) > WRAP_MAX_CHARS for line in lines):
        return [clean_paragraph(line) for line in lines]
    return [clean_paragraph(block)]


def _plain_paragraphs(text: str) -> list[str]:
    blocks = re.split(r"\n\s*\n", text)
    return [p for block in blocks for p in _block_paragraphs(block) if p]


def _take_byline(paragraphs: list[str]) -> tuple[Byline | None, list[str]]:
    for i, para in enumerate(paragraphs[:BYLINE_SEARCH_PARAGRAPHS]):
        byline = parse_byline(para)
        if byline is not None:
            return byline, paragraphs[:i] + paragraphs[i + 1 :]
    return None, paragraphs


def extract_text(
    text: str,
    *,
    kind: TextKind,
    url: str | None = None,
    title: str | None = None,
) -> Article:
    """Article from plain text, Markdown or pasted text; NoArticleText when it is too short."""
    ensure_textual(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    markdown = kind == "markdown" or (kind == "pasted" and bool(_MARKDOWN_HEADING.match(text)))
    if markdown:
        doc = parse_markdown(text)
        paragraphs, found_title = doc.paragraphs, doc.title
        source_kind: TextKind = "markdown" if kind == "markdown" else kind
    else:
        paragraphs, found_title, source_kind = _plain_paragraphs(text), None, kind
    byline, paragraphs = _take_byline(paragraphs)
    headline = not markdown and len(paragraphs) > 1 and _looks_like_title(paragraphs[0])
    if headline:
        found_title, paragraphs = paragraphs[0], paragraphs[1:]
    check_words(effective_words("\n".join(paragraphs)), pasted=kind == "pasted")
    return Article.build(
        paragraphs,
        title=title or found_title,
        url=url,
        author=byline.author if byline else None,
        published=byline.published if byline else None,
        site_name=byline.site_name if byline else None,
        source_kind=source_kind,
    )
