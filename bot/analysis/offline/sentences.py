"""The article's sentences with their paragraphs, computed once per article.

Every offline result (summary bullets, answer quotes, actor quotes) is a verbatim sentence or
span of the article, cut here, so it always passes `QuoteVerifier`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.analysis.offline.furniture import furniture
from bot.analysis.per_article import PerArticle
from bot.analysis.text import sentence_spans, word_count
from bot.domain.article import Article


@dataclass(frozen=True, slots=True)
class Sentence:
    paragraph: int  # 1-based
    start: int  # offsets in the paragraph
    end: int
    text: str
    index: int  # position among all sentences of the article
    furniture: bool
    words: int


@dataclass(frozen=True, slots=True)
class Parsed:
    sentences: tuple[Sentence, ...]
    furniture: frozenset[int]

    def story(self) -> list[Sentence]:
        """Sentences of the story itself (not captions, credits, teasers...)."""
        return [s for s in self.sentences if not s.furniture]

    def in_paragraph(self, number: int) -> list[Sentence]:
        return [s for s in self.sentences if s.paragraph == number]


def _parse(article: Article) -> Parsed:
    skip = furniture(article)
    sentences: list[Sentence] = []
    for number, paragraph in enumerate(article.paragraphs, start=1):
        for start, end in sentence_spans(paragraph):
            sentences.append(
                Sentence(
                    paragraph=number,
                    start=start,
                    end=end,
                    text=paragraph[start:end],
                    index=len(sentences),
                    furniture=number in skip,
                    words=word_count(paragraph[start:end]),
                )
            )
    return Parsed(tuple(sentences), skip)


# Sentences and furniture of an article, cached by content hash.
parse = PerArticle(_parse)
