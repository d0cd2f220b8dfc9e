"""Plain extractors for pages trafilatura under-reads.

`fallback_paragraphs` drops obvious page furniture, picks the `<article>` (or, failing that, the
element whose direct `<p>` children hold the most words) and reads its paragraphs, headings and
list items in order. Crude, but a different failure profile from trafilatura's, which is what a
fallback needs. `json_ld_paragraphs` reads schema.org `articleBody`, which client-rendered news
sites often embed in an otherwise empty page; unlike trafilatura's own JSON rescue it keeps the
paragraph breaks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from copy import deepcopy
from typing import Any

from lxml.etree import LxmlError
from lxml.html import HtmlElement, fragment_fromstring

_FURNITURE = (
    "//script|//style|//noscript|//template|//nav|//footer|//header|//aside|//form|//button"
    "|//select|//iframe|//svg|//figure|//*[@aria-hidden='true']|//*[@role='navigation']"
    "|//*[@hidden]"
)
_BLOCK_TAGS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")
_BLOCKS_XPATH = "|".join(f".//{t}" for t in _BLOCK_TAGS)


def _text(elem: HtmlElement) -> str:
    return " ".join(elem.text_content().split())


def _words(elem: HtmlElement) -> int:
    return len(_text(elem).split())


def _main_container(root: HtmlElement) -> HtmlElement | None:
    articles = list(root.iter("article"))
    if articles:
        return max(articles, key=_words)
    scores: dict[HtmlElement, int] = {}
    for para in root.iter("p"):
        parent = para.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + _words(para)
    return max(scores, key=scores.__getitem__) if scores else None


def _inside_block(elem: HtmlElement, container: HtmlElement) -> bool:
    for ancestor in elem.iterancestors():
        if ancestor is container:
            return False
        if ancestor.tag in _BLOCK_TAGS:
            return True
    return False


def fallback_paragraphs(tree: HtmlElement) -> list[str]:
    """Paragraph texts of the page's main container; empty when none is found."""
    root = deepcopy(tree)
    for elem in root.xpath(_FURNITURE):
        if elem.getparent() is not None:
            elem.drop_tree()
    container = _main_container(root)
    if container is None:
        return []
    paragraphs: list[str] = []
    for block in container.xpath(_BLOCKS_XPATH):
        # a block nested in another block (li > p, blockquote > p) is read with its outermost one
        if _inside_block(block, container):
            continue
        text = _text(block)
        if text:
            paragraphs.append(text)
    return paragraphs


_MARKUP = re.compile(r"</?(?:p|br|div|h[1-6]|li)\b", re.IGNORECASE)


def _article_bodies(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _article_bodies(item)
    elif isinstance(node, dict):
        body = node.get("articleBody")
        if isinstance(body, str) and body.strip():
            yield body
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            yield from _article_bodies(node.get(key))


def _body_paragraphs(body: str) -> list[str]:
    if _MARKUP.search(body):
        try:
            root = fragment_fromstring(body, create_parent="div")
        except (ValueError, LxmlError):
            return []
        blocks = root.xpath(_BLOCKS_XPATH)
        if blocks:
            return [t for t in (_text(b) for b in blocks) if t]
        body = root.text_content()
    return [" ".join(line.split()) for line in body.splitlines() if line.strip()]


def json_ld_paragraphs(tree: HtmlElement) -> list[str]:
    """Paragraphs of the longest schema.org `articleBody` embedded in the page, if any."""
    bodies: list[str] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            bodies.extend(_article_bodies(json.loads(script, strict=False)))
        except ValueError:
            continue
    return _body_paragraphs(max(bodies, key=len)) if bodies else []
