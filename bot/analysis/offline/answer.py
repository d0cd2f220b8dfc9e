"""Offline answers: the article's own sentences that best match the question, quoted verbatim.

Sentences are ranked with BM25 (the same terms as paragraph retrieval). A question counts as
answerable only when the best sentence, read with its paragraph, covers enough of the
question's informative words (IDF-weighted, so "turbines" matters and "happen" hardly does);
otherwise the honest answer is that the article doesn't say. Only story sentences are used,
not captions or teasers for other stories, unless the article has nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from bot.analysis.models import Answer, Quote
from bot.analysis.offline.sentences import Sentence, parse
from bot.analysis.per_article import PerArticle
from bot.analysis.quotes import MIN_WORDS
from bot.analysis.retrieval import PREFIX_LEN, index_terms, query_weights
from bot.analysis.text import QUESTION_WORDS, STOPWORDS, tokenize
from bot.ingest.article import Article

NOT_SAID = "The article doesn't say."
# Share of the question's IDF mass the best sentence's paragraph must cover to count as an
# answer; tuned on SQuAD (bench/retrieval.py --offline-answer): at 0.45 it answers 82% of the
# (answerable) questions, first quote in the gold paragraph 89% of the time, and answers 2.3%
# of questions taken from another article (0.40: 86% / 3.8%; 0.50: 75% / 1.0%).
MIN_COVERAGE = 0.45
MAX_QUOTES = 3
# Further sentences are quoted when they score at least this share of the best one.
RUNNER_UP = 0.75


@dataclass(frozen=True)
class _SentenceIndex:
    sentences: tuple[Sentence, ...]
    bm25: bm25s.BM25
    terms: tuple[frozenset[str], ...]  # words and word prefixes of each sentence
    df: dict[str, int]

    def idf(self, word: str) -> float:
        n = len(self.sentences)
        df = self.df.get(word, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _build_index(article: Article) -> _SentenceIndex:
    parsed = parse(article)
    sentences = tuple(s for s in parsed.story() if s.words >= MIN_WORDS) or tuple(
        s for s in parsed.sentences if s.words >= MIN_WORDS
    )
    corpus = [index_terms(s.text) or [""] for s in sentences]
    bm25 = bm25s.BM25()
    if sentences:
        bm25.index(corpus, show_progress=False)
    terms = tuple(frozenset(_match_keys(s.text)) for s in sentences)
    df: dict[str, int] = {}
    for keys in terms:
        for k in keys:
            df[k] = df.get(k, 0) + 1
    return _SentenceIndex(sentences, bm25, terms, df)


_index = PerArticle(_build_index)


def _match_keys(text: str, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """A word matches its exact form or, for long words, its prefix ("turbine" ~ "turbines")."""
    words = tokenize(text, stopwords=stopwords)
    return [w if len(w) <= PREFIX_LEN else w[:PREFIX_LEN] + "~" for w in words]


def _scores(index: _SentenceIndex, question: str) -> np.ndarray:
    weights = query_weights(question)
    scores = np.zeros(len(index.sentences))
    data = index.bm25.scores
    vocab = index.bm25.vocab_dict
    for term, weight in weights.items():
        tid = vocab.get(term)
        if tid is None:
            continue
        lo, hi = data["indptr"][tid], data["indptr"][tid + 1]
        np.add.at(scores, data["indices"][lo:hi], weight * data["data"][lo:hi])
    return scores


def coverage(index: _SentenceIndex, question: str, rows: Sequence[int]) -> float:
    """IDF-weighted share of the question's topic words that occur in the given sentences."""
    keys = set(_match_keys(question, STOPWORDS | QUESTION_WORDS))
    if not keys:
        return 0.0
    present = frozenset().union(*(index.terms[r] for r in rows))
    total = sum(index.idf(k) for k in keys)
    return sum(index.idf(k) for k in keys if k in present) / total


def offline_answer(
    article: Article, question: str, *, paragraphs: Sequence[int] | None = None
) -> Answer:
    index = _index(article)
    if not index.sentences:
        return Answer(answer=NOT_SAID, answerable=False, supported=False)
    scores = _scores(index, question)
    if paragraphs:
        allowed = set(paragraphs)
        mask = np.array([s.paragraph in allowed for s in index.sentences])
        scores = np.where(mask, scores, 0.0)
    best = int(np.argmax(scores))
    # The best sentence is read with its paragraph: "they" in it may be the turbines before it.
    context = [
        i for i, s in enumerate(index.sentences) if s.paragraph == index.sentences[best].paragraph
    ]
    if scores[best] <= 0 or coverage(index, question, context) < MIN_COVERAGE:
        return Answer(answer=NOT_SAID, answerable=False, supported=False)
    ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    chosen = [i for i in ranked[:MAX_QUOTES] if scores[i] >= RUNNER_UP * scores[best]]
    # The best passage first (it is the answer), then the others in article order.
    picked = [index.sentences[i] for i in [best, *sorted(chosen[1:])]]
    quotes = [Quote(text=s.text, paragraph=s.paragraph) for s in picked]
    return Answer(answer=_phrase(picked), answerable=True, supported=bool(quotes), quotes=quotes)


def _phrase(sentences: list[Sentence]) -> str:
    """ "The article says: <sentence>" and, for a second passage, "It also says: <sentence>"."""
    parts = [f"The article says: {sentences[0].text}"]
    parts += [f"It also says: {s.text}" for s in sentences[1:]]
    return " ".join(parts)
