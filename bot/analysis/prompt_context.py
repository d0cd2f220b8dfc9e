"""Template variables for the prompts: the article's numbered paragraphs and its metadata.

Article text is untrusted; the prompts fence it between `<article>` tags. Text that imitates the
fence is defused here so an article cannot close the fence and speak outside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.domain.article import Article

_FENCE = re.compile(r"<(/?)(article)", re.IGNORECASE)


def fence_safe(text: str) -> str:
    """Defuse `<article` / `</article` inside article text (the fence's own markers)."""
    return _FENCE.sub(lambda m: f"‹{m.group(1)}{m.group(2)}", text)


def numbered(article: Article, numbers: Iterable[int] | None = None) -> list[tuple[int, str]]:
    """(number, text) pairs for the given 1-based paragraphs (all by default), fence-safe."""
    wanted = range(1, len(article.paragraphs) + 1) if numbers is None else numbers
    return [(n, fence_safe(article.paragraph(n))) for n in wanted]


def meta(article: Article) -> dict[str, Any]:
    """Metadata shown above the article; also untrusted, so also fence-safe."""
    return {
        key: fence_safe(value) if value else None
        for key, value in {
            "title": article.title,
            "author": article.author,
            "published": article.published,
            "site_name": article.site_name,
        }.items()
    }
