"""The Article: what every later stage works on, whatever the source was.

Paragraphs are numbered from 1 because people (and the model) cite them that way; quotes and
summary bullets point at these numbers, so they must be stable for a given text.
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.tokens import count_tokens

SourceKind = Literal["html", "pdf", "text", "markdown", "pasted"]

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_WORD = re.compile(r"\w+", re.UNICODE)


def clean_paragraph(text: str) -> str:
    """Collapse runs of whitespace (a paragraph is one line of text) and trim."""
    return _SPACE.sub(" ", text.replace("\n", " ")).strip()


def split_paragraphs(text: str) -> list[str]:
    """Split plain text into paragraphs on blank lines; single newlines join lines."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [p for p in (clean_paragraph(b) for b in blocks) if p]


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


class Article(BaseModel):
    """An extracted article with numbered paragraphs and the facts later stages need."""

    model_config = ConfigDict(frozen=True)

    paragraphs: tuple[str, ...]
    title: str | None = None
    url: str | None = None
    author: str | None = None
    published: str | None = None
    site_name: str | None = None
    language: str | None = None
    source_kind: SourceKind = "text"
    words: int = 0
    content_hash: str = ""
    extra: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def build(cls, paragraphs: list[str] | tuple[str, ...], **meta: object) -> Article:
        """Clean paragraphs and compute counts and the content hash."""
        cleaned = tuple(p for p in (clean_paragraph(p) for p in paragraphs) if p)
        text = "\n\n".join(cleaned)
        return cls(
            paragraphs=cleaned,
            words=count_words(text),
            content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            **meta,  # type: ignore[arg-type]
        )

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @cached_property
    def tokens(self) -> int:
        """Tokens of the text (o200k_base), counted on first use.

        Not counted at build time: extraction runs in a worker process, which would otherwise
        load its own copy of the tokenizer (about 75 MB) just to count.
        """
        return count_tokens(self.text)

    def paragraph(self, number: int) -> str:
        """Paragraph by its 1-based number."""
        return self.paragraphs[number - 1]

    def has_paragraph(self, number: int) -> bool:
        return 1 <= number <= len(self.paragraphs)

    @property
    def display_title(self) -> str:
        return self.title or (self.url or "Untitled article")
