"""Split a long article into chunks on paragraph boundaries for map-reduce."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.article import Article


def chunk_paragraphs(
    article: Article, *, max_tokens: int, count_tokens: Callable[[str], int]
) -> list[list[int]]:
    """Greedy chunks of consecutive 1-based paragraph numbers, each within `max_tokens`.

    A single paragraph larger than a chunk gets a chunk of its own: it is the caller's budget
    check that refuses it, because silently cutting a paragraph would break quote verification.
    """
    chunks: list[list[int]] = []
    current: list[int] = []
    used = 0
    for number, text in enumerate(article.paragraphs, start=1):
        cost = count_tokens(f"[{number}] {text}\n")
        if current and used + cost > max_tokens:
            chunks.append(current)
            current, used = [], 0
        current.append(number)
        used += cost
    if current:
        chunks.append(current)
    return chunks
