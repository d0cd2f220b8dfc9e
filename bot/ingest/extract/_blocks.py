"""Flatten trafilatura's output tree into paragraphs, one per block of the article.

Trafilatura returns its own XML vocabulary (`p`, `head`, `list`/`item`, `quote`, `table`/`row`/
`cell`, `lb` for line breaks). Each paragraph, heading, list item and table row becomes one
Article paragraph; a paragraph that an author split with a double line break becomes two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.etree import _Element

_CONTAINERS = {"body", "div", "quote", "list", "table", "section", "article", "main"}
_INLINE = {"lb", "hi", "ref", "del", "graphic", "span", "a", "b", "i", "em", "strong"}
_DOUBLE_BREAK_RE = re.compile(r"\n\s*\n")


def _inline_text(elem: _Element) -> str:
    """Text of an element with `lb` as a newline, so double breaks can split paragraphs."""
    parts: list[str] = [elem.text or ""]
    for child in elem:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag in ("list", "table"):
            continue  # nested block: emitted separately
        else:
            parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _split(text: str) -> Iterator[str]:
    for part in _DOUBLE_BREAK_RE.split(text):
        part = " ".join(part.split())
        if part:
            yield part


def _has_blocks(elem: _Element) -> bool:
    return any(child.tag not in _INLINE for child in elem)


def _table_rows(table: _Element) -> Iterator[str]:
    """One paragraph per table row, cells joined by " | "."""
    for row in table.iter("row"):
        cells = [" ".join(_inline_text(c).split()) for c in row if c.tag == "cell"]
        line = " | ".join(c for c in cells if c)
        if line:
            yield line


def _nested_blocks(elem: _Element) -> Iterator[str]:
    """Lists and tables inside an inline element, which `_inline_text` skipped."""
    for nested in elem:
        if nested.tag in ("list", "table"):
            yield from iter_blocks(nested)


def _list_items(lst: _Element) -> Iterator[str]:
    """One paragraph per item, then the lists and tables nested in it."""
    for item in lst:
        if item.tag != "item":
            yield from iter_blocks(item)
            continue
        yield from _split(_inline_text(item))
        yield from _nested_blocks(item)


def _mixed_content(elem: _Element) -> Iterator[str]:
    """A container with block children: inline runs between them form their own paragraphs."""
    run: list[str] = [elem.text or ""]
    for child in elem:
        if child.tag in _INLINE:
            run.append("\n" if child.tag == "lb" else _inline_text(child))
        else:
            yield from _split("".join(run))
            run = []
            yield from iter_blocks(child)
        run.append(child.tail or "")
    yield from _split("".join(run))


def iter_blocks(elem: _Element) -> Iterator[str]:
    """Yield paragraph texts in document order."""
    if elem.tag == "table":
        yield from _table_rows(elem)
    elif elem.tag == "list":
        yield from _list_items(elem)
    elif elem.tag in _CONTAINERS and _has_blocks(elem):
        yield from _mixed_content(elem)
    else:
        yield from _split(_inline_text(elem))
        yield from _nested_blocks(elem)


def body_paragraphs(body: _Element | None) -> list[str]:
    """All paragraphs of a trafilatura body element."""
    if body is None:
        return []
    return list(iter_blocks(body))
