"""Pick the paragraphs to send with a question when the whole article does not fit.

BM25 (bm25s) over paragraphs, queried with the question's words plus, at a lower weight, the
words of earlier questions (a follow-up like "and what did she say about it?" still needs the
earlier topic). The best paragraphs are taken greedily, the best few with their neighbours (a
paragraph that answers often names its subject only in the one before), until the token budget
is used. Indexes are cached per article because follow-up questions reuse them.

Tokens are Unicode words (CJK/Thai as character bigrams, see `bot.analysis.text.tokenize`), so
any language works; the English stopword list only removes words that carry no topic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np

from bot.analysis.per_article import PerArticle
from bot.analysis.text import STOPWORDS, tokenize
from bot.domain.article import Article

# Tuned on the SQuAD article benchmark (bench/retrieval.py). At the default 1,500-token budget,
# articles over 4,000 tokens: gold-paragraph recall 0.972 sending 20% of their tokens (0.970 on
# the full 9,107-question set). Word prefixes add ~1.2 points of recall; neighbours cost ~0.3
# there (SQuAD questions are written per paragraph) but give real articles their pronouns'
# antecedents; k1/b and the capitalised-word boost move recall by under 0.5 points.
K1 = 1.2
B = 0.75
# Earlier questions: the most recent counts this much relative to the question, older ones
# decay by HISTORY_DECAY per turn.
HISTORY_WEIGHT = 0.3
HISTORY_DECAY = 0.5
# Query words written with a capital or containing a digit (names, dates, amounts) are the most
# specific evidence a question has.
SPECIFIC_BOOST = 1.5
# The best-ranked paragraphs that also bring their immediate neighbours.
NEIGHBOUR_TOP = 1
# Words are also indexed by their first PREFIX_LEN characters, a language-agnostic stand-in for
# stemming ("turbines" ~ "turbine", "approved" ~ "approval") since no stemmer is installed.
PREFIX_LEN = 5


@dataclass
class _Index:
    bm25: bm25s.BM25
    sizes: dict[Callable[[str], int], list[int]] = field(default_factory=dict)

    def scores(self, weights: dict[str, float]) -> np.ndarray:
        """Weighted BM25: sum over query terms of weight * term score, per paragraph."""
        index = self.bm25.scores
        data, indices, indptr = index["data"], index["indices"], index["indptr"]
        out = np.zeros(index["num_docs"], dtype=np.float64)
        vocab = self.bm25.vocab_dict
        for term, weight in weights.items():
            tid = vocab.get(term)
            if tid is None:
                continue
            lo, hi = indptr[tid], indptr[tid + 1]
            np.add.at(out, indices[lo:hi], weight * data[lo:hi])
        return out


def index_terms(text: str) -> list[str]:
    """Terms indexed for a paragraph (and looked up for a query)."""
    terms = tokenize(text, stopwords=STOPWORDS)
    return terms + [t[:PREFIX_LEN] + "~" for t in terms if len(t) > PREFIX_LEN]


def _build(article: Article) -> _Index:
    corpus = [index_terms(p) or [""] for p in article.paragraphs]
    bm25 = bm25s.BM25(k1=K1, b=B)
    bm25.index(corpus, show_progress=False)
    return _Index(bm25)


_index_for = PerArticle(_build)


def query_weights(question: str, history: Sequence[str] = ()) -> dict[str, float]:
    """Query terms and their weights: the question, then earlier questions (newest first)."""
    weights: dict[str, float] = {}
    turns = [(question, 1.0)]
    weight = HISTORY_WEIGHT
    for earlier in reversed(history):
        turns.append((earlier, weight))
        weight *= HISTORY_DECAY
    for text, base in turns:
        specific = _specific_terms(text)
        for term in index_terms(text):
            if term.endswith("~"):
                boosted = any(t.startswith(term[:-1]) for t in specific)
            else:
                boosted = term in specific
            weight = base * (SPECIFIC_BOOST if boosted else 1.0)
            weights[term] = max(weights.get(term, 0.0), weight)
    return weights


def _specific_terms(text: str) -> set[str]:
    """Terms of capitalised words (not the question's first word) and of words with digits."""
    picked = [
        w
        for n, w in enumerate(text.split())
        if (n > 0 and w[:1].isupper()) or any(c.isdigit() for c in w)
    ]
    return set(tokenize(" ".join(picked)))


def paragraph_scores(article: Article, question: str, history: Sequence[str] = ()) -> np.ndarray:
    """BM25 score of every paragraph (0-based array) for the question and its history."""
    return _index_for(article).scores(query_weights(question, history))


def select_paragraphs(
    article: Article,
    question: str,
    *,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    history: Sequence[str] = (),
) -> list[int]:
    """1-based paragraph numbers to send, in article order, within `budget_tokens`.

    The budget counts `count_tokens(paragraph)` for each chosen paragraph; the caller's framing
    (numbers, separators) is its own overhead. All paragraphs when they fit. A paragraph larger
    than the whole budget is skipped, never cut.
    """
    count = len(article.paragraphs)
    if count == 0:
        return []
    index = _index_for(article)
    sizes = index.sizes.get(count_tokens)
    if sizes is None:
        sizes = [count_tokens(p) for p in article.paragraphs]
        index.sizes[count_tokens] = sizes
    if sum(sizes) <= budget_tokens:
        return list(range(1, count + 1))
    scores = index.scores(query_weights(question, history))
    ranked = sorted(range(count), key=lambda i: (-scores[i], i))
    chosen: set[int] = set()
    used = 0

    def take(i: int) -> None:
        nonlocal used
        if 0 <= i < count and i not in chosen and used + sizes[i] <= budget_tokens:
            chosen.add(i)
            used += sizes[i]

    for rank, i in enumerate(ranked):
        take(i)
        if rank < NEIGHBOUR_TOP and scores[i] > 0:
            take(i - 1)
            take(i + 1)
        if used >= budget_tokens:
            break
    return [i + 1 for i in sorted(chosen)]
