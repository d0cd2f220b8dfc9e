"""The article's story sentences indexed for questions: BM25, match keys, IDF, vocabulary.

Built once per article (`sentence_index`) and shared by the sentence ranker, the abstention
features and the check for names the article never mentions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from bot.analysis.offline.sentences import Sentence, parse
from bot.analysis.per_article import PerArticle
from bot.analysis.quotes import MIN_WORDS
from bot.analysis.retrieval import PREFIX_LEN, index_terms, query_weights
from bot.analysis.text import STOPWORDS, tokenize
from bot.domain.article import Article


@dataclass(frozen=True)
class SentenceIndex:
    sentences: tuple[Sentence, ...]
    bm25: bm25s.BM25
    sequences: tuple[tuple[str, ...], ...]  # match keys of each sentence, in order
    terms: tuple[frozenset[str], ...]  # the same, as sets
    df: dict[str, int]
    vocabulary: frozenset[str]  # every word and word prefix of the article
    words: tuple[str, ...]  # every distinct word of the article (for misspelt names)
    initials: frozenset[str]  # "un" for "United Nations": what acronyms may stand for
    numbers: frozenset[str]  # every number as written, without thousands commas ("4222000")

    def idf(self, word: str) -> float:
        n = len(self.sentences)
        df = self.df.get(word, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def bm25_scores(self, question: str) -> np.ndarray:
        """Weighted BM25 score of every sentence for the question."""
        scores = np.zeros(len(self.sentences))
        data = self.bm25.scores
        vocab = self.bm25.vocab_dict
        for term, weight in query_weights(question).items():
            tid = vocab.get(term)
            if tid is None:
                continue
            lo, hi = data["indptr"][tid], data["indptr"][tid + 1]
            np.add.at(scores, data["indices"][lo:hi], weight * data["data"][lo:hi])
        return scores

    def coverage(self, keys: set[str] | frozenset[str], rows: Sequence[int]) -> float:
        """IDF-weighted share of the question's topic words that occur in the given sentences."""
        if not keys:
            return 0.0
        present = frozenset().union(*(self.terms[r] for r in rows))
        total = sum(self.idf(k) for k in keys)
        return sum(self.idf(k) for k in keys if k in present) / total


def match_keys(text: str, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """A word matches its exact form or, for long words, its prefix ("turbine" ~ "turbines")."""
    return [key(w) for w in tokenize(text, stopwords=stopwords)]


def key(word: str) -> str:
    return word if len(word) <= PREFIX_LEN else word[:PREFIX_LEN] + "~"


_NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")
_CAPITAL_RUN = re.compile(r"(?:\b[A-Z][\w’'-]*(?:\s+(?:of|for|and|the)\s+|\s+)){1,5}[A-Z][\w’'-]*")


def _initials(text: str) -> frozenset[str]:
    runs = _CAPITAL_RUN.findall(text)
    out: set[str] = set()
    for run in runs:
        caps = [w[0] for w in run.split() if w[:1].isupper()]
        out.add("".join(caps).casefold())
    return frozenset(out)


def _build_index(article: Article) -> SentenceIndex:
    parsed = parse(article)
    sentences = tuple(s for s in parsed.story() if s.words >= MIN_WORDS) or tuple(
        s for s in parsed.sentences if s.words >= MIN_WORDS
    )
    corpus = [index_terms(s.text) or [""] for s in sentences]
    bm25 = bm25s.BM25()
    if sentences:
        bm25.index(corpus, show_progress=False)
    sequences = tuple(tuple(match_keys(s.text)) for s in sentences)
    terms = tuple(frozenset(seq) for seq in sequences)
    df: dict[str, int] = {}
    for keys in terms:
        for k in keys:
            df[k] = df.get(k, 0) + 1
    distinct = set(tokenize(article.text))  # once: the vocabulary is derived from it
    vocabulary = frozenset(key(w) for w in distinct)
    words = tuple(sorted(distinct))
    numbers = frozenset(m.group().replace(",", "") for m in _NUMBER.finditer(article.text))
    return SentenceIndex(
        sentences, bm25, sequences, terms, df, vocabulary, words, _initials(article.text), numbers
    )


sentence_index = PerArticle(_build_index)
