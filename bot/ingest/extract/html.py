"""HTML page to Article: trafilatura for the main text and metadata, with a fallback.

Every choice here was measured on the Scrapinghub article-extraction benchmark
(bench/extraction.py): trafilatura's precision mode without comments beats its defaults; a
plain `<article>`/`<p>` extractor fills in sections precision mode skipped, or replaces its
result (as does a JSON-LD articleBody) when it finds almost nothing; leftover furniture and a
repeated headline are dropped.
"""

from __future__ import annotations

import logging
import re
from copy import copy

from lxml.html import HtmlElement
from trafilatura import bare_extraction, extract_metadata
from trafilatura.settings import Document
from trafilatura.utils import load_html

from bot.domain.article import Article
from bot.ingest.extract._blocks import body_paragraphs
from bot.ingest.extract._boilerplate import strip_furniture
from bot.ingest.extract._combine import add_missing_sections
from bot.ingest.extract._decode import decode_bytes
from bot.ingest.extract._fallback import fallback_paragraphs, json_ld_paragraphs
from bot.ingest.extract.quality import (
    MIN_WORDS,
    PageProblem,
    check_page,
    effective_words,
    possible_teaser,
)

_LANG = re.compile(r"^[A-Za-z]{2,3}(?=$|[-_])")

# trafilatura logs every page it discards at WARNING; for us that is a NoArticleText, not noise.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def _parse(html: str) -> HtmlElement | None:
    """The page's tree; a bare fragment ("<p>...</p>") is wrapped in a document first."""
    if not html.strip():
        return None
    tree = load_html(html)
    return tree if tree is not None else load_html(f"<html><body>{html}</body></html>")


def _words(paragraphs: list[str]) -> int:
    return effective_words("\n".join(paragraphs))


def _run(tree: HtmlElement, url: str | None) -> tuple[Document | None, list[str]]:
    doc = bare_extraction(
        tree, url=url, with_metadata=True, favor_precision=True, include_comments=False
    )
    if not isinstance(doc, Document):
        return None, []
    return doc, body_paragraphs(doc.body)


def _language(doc: Document, tree: HtmlElement) -> str | None:
    """Language from trafilatura, else the page's own `lang` / content-language declaration."""
    candidates = [doc.language, tree.get("lang"), tree.get("xml:lang")]
    candidates += tree.xpath(
        '//meta[@http-equiv="content-language" or @http-equiv="Content-Language"'
        ' or @property="og:locale"]/@content'
    )
    for value in candidates:
        match = _LANG.match((value or "").strip())
        if match:
            return match.group(0).lower()
    return None


def _main_text(tree: HtmlElement, url: str | None) -> tuple[Document | None, list[str]]:
    doc, paragraphs = _run(tree, url)
    fallback = fallback_paragraphs(tree)
    if _words(paragraphs) >= MIN_WORDS:
        return doc, add_missing_sections(paragraphs, fallback)
    # Precision mode found (almost) nothing: take the plain extractor's text or the page's
    # JSON-LD articleBody if either has more. (Trying trafilatura's balanced cascade here
    # instead scored lower on the benchmark.)
    for candidate in (fallback, json_ld_paragraphs(tree)):
        if _words(candidate) > _words(paragraphs):
            paragraphs = candidate
    return doc, paragraphs


def _meta(doc: Document) -> dict[str, str | None]:
    return {
        "title": doc.title or None,
        "author": doc.author or None,
        "published": doc.date or None,
        "site_name": doc.sitename or None,
    }


def extract_html(
    body: bytes | str, *, url: str | None = None, charset: str | None = None
) -> Article:
    """Main text and metadata of an HTML page; raises NoArticleText for unusable pages."""
    html = body if isinstance(body, str) else decode_bytes(body, declared=charset, html=True)
    tree = _parse(html)
    if tree is None:
        raise PageProblem.NO_TEXT.error()
    doc, paragraphs = _main_text(tree, url)
    if doc is None:  # trafilatura found no text, but the page's metadata is still worth having
        doc = extract_metadata(copy(tree), default_url=url)
    meta = _meta(doc)
    paragraphs = strip_furniture(paragraphs, meta["title"])
    words = _words(paragraphs)
    check_page(tree, words)
    return Article.build(
        paragraphs,
        url=url or doc.url or None,
        language=_language(doc, tree),
        source_kind="html",
        extra={"paywall": "possible teaser"} if possible_teaser(tree, words) else {},
        **meta,
    )
