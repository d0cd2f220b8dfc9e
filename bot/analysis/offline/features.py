"""What the learned sentence ranker and abstention scorer read about a question and a sentence.

Each feature is a check a careful reader makes: how much of the question (weighted by how rare
each word is in the article) a sentence holds, whether its words come in the question's order
and close together, whether the sentence adds anything beyond the question's own words, whether
it holds the kind of answer asked for. The weights that combine them are learned
(`bench/offline_learn.py`) and live in `weights.py`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from bot.analysis.offline.questions import AnswerType, QuestionInfo, read_question
from bot.analysis.offline.sentence_index import SentenceIndex, match_keys
from bot.analysis.offline.spans import best_span, has_type, question_keys
from bot.analysis.offline.units import strict
from bot.analysis.text import QUESTION_WORDS, STOPWORDS, normalize

_WHY_HOW = re.compile(r"\b(?:why|how)\b(?!\s+(?:many|much|long|old|far|big|large|often))")

RANK_FEATURES = (
    "score",  # BM25 of the sentence plus its paragraph's, scaled to the best (1)
    "bm25",  # BM25 of the sentence alone, scaled to the best
    "paragraph",  # BM25 of its paragraph, scaled to the best
    "coverage",  # IDF-weighted share of the question's words in the sentence
    "bigrams",  # share of the question's word pairs found side by side in the sentence
    "proximity",  # matched words per word of the stretch that holds them
    "novelty",  # share of the sentence's words that the question doesn't use
    "typed",  # a candidate of the expected kind that is not the question's own
    "length",  # log of the sentence's length in words
    "rank",  # 1 / (1 + rank by score)
    "follows",  # right after the best-scoring sentence, in its paragraph
    "follows_why",  # the same, for "why" and "how" questions
    "previous",  # coverage of the sentence before it in the paragraph
    "span",  # how close the best candidate of the expected kind is to the question's words
)


@dataclass(frozen=True)
class QuestionTerms:
    """The question read once: its kind, its topic words in order, their pairs."""

    info: QuestionInfo
    keys: frozenset[str]
    sequence: tuple[str, ...]
    bigrams: frozenset[tuple[str, str]]
    span_keys: frozenset[str]
    why_how: bool


def question_terms(question: str) -> QuestionTerms:
    sequence = tuple(match_keys(question, STOPWORDS | QUESTION_WORDS))
    return QuestionTerms(
        info=read_question(question),
        keys=frozenset(sequence),
        sequence=sequence,
        bigrams=frozenset(pairwise(sequence)),
        span_keys=question_keys(question),
        why_how=_WHY_HOW.search(normalize(question)) is not None,
    )


def typed(index: SentenceIndex, q: QuestionTerms, row: int) -> bool:
    info = q.info
    return has_type(
        index.sentences[row].text, q.span_keys, info.answer_type, info.counted, info.units
    )


def bigram_share(index: SentenceIndex, q: QuestionTerms, row: int) -> float:
    if not q.bigrams:
        return 0.0
    seq = index.sequences[row]
    pairs = set(pairwise(seq))
    return len(q.bigrams & pairs) / len(q.bigrams)


def proximity(index: SentenceIndex, q: QuestionTerms, row: int) -> float:
    positions = [n for n, k in enumerate(index.sequences[row]) if k in q.keys]
    if not positions:
        return 0.0
    return len(positions) / (positions[-1] - positions[0] + 1)


def novelty(index: SentenceIndex, q: QuestionTerms, row: int) -> float:
    seq = index.sequences[row]
    return sum(k not in q.keys for k in seq) / max(1, len(seq))


@dataclass(frozen=True)
class Scores:
    """BM25 evidence for every sentence, each scaled to its best (0 where nothing matched)."""

    combined: np.ndarray
    sentence: np.ndarray
    paragraph: np.ndarray
    ranked: tuple[int, ...]  # sentences with a match, best combined score first


def _previous(index: SentenceIndex, row: int) -> int | None:
    same = row > 0 and index.sentences[row - 1].paragraph == index.sentences[row].paragraph
    return row - 1 if same else None


def rank_features(index: SentenceIndex, q: QuestionTerms, s: Scores, row: int) -> list[float]:
    top = s.ranked[0]
    follows = float(_previous(index, row) == top)
    prev = _previous(index, row)
    return [
        float(s.combined[row]),
        float(s.sentence[row]),
        float(s.paragraph[row]),
        index.coverage(q.keys, [row]),
        bigram_share(index, q, row),
        proximity(index, q, row),
        novelty(index, q, row),
        float(typed(index, q, row)),
        math.log1p(index.sentences[row].words),
        1.0 / (1 + s.ranked.index(row)),
        follows,
        follows * q.why_how,
        index.coverage(q.keys, [prev]) if prev is not None else 0.0,
        span_closeness(index, q, row),
    ]


def span_closeness(index: SentenceIndex, q: QuestionTerms, row: int) -> float:
    """1 / (1 + words between the answer candidate and the question's words); 0 if none."""
    info = q.info
    span = best_span(
        index.sentences[row].text, q.span_keys, info.answer_type, info.counted, info.units
    )
    return 0.0 if span is None else span.score


ABSTAIN_FEATURES = (
    "rank_score",  # the ranker's score of the chosen sentence
    "margin",  # ... minus the runner-up's
    "sentence_coverage",  # IDF-weighted share of the question in the sentence
    "passage_coverage",  # ... in its paragraph
    "spread",  # ... in the paragraph but not in the sentence: the relation asked is elsewhere
    "window_coverage",  # ... in the sentence with its better neighbour
    "missing_idf",  # summed IDF of the question's words the sentence lacks
    "max_missing_idf",  # the rarest of them
    "unknown",  # IDF-weighted share of the question's words the article never uses
    "names_elsewhere",  # share of the question's names the article has but the sentence lacks
    "off_paragraph",  # IDF-weighted share of the question the article has, not the paragraph
    "missing_words",  # how many of the question's words the sentence lacks
    "bigrams",  # share of the question's word pairs side by side in the sentence
    "type_missing",  # no candidate of the expected kind
    "type_in_question",  # the kind is there only as the question's own words (swapped entity)
    "unit_missing",  # "how far", "how old": no number in the asked unit ("800 metres")
    "negation",  # the question negates, the sentence doesn't
    "antonym",  # the sentence has the opposite of a question word
    "number_elsewhere",  # a number of the question is in the article, not in the sentence
    "question_words",  # log of the number of topic words
    "typed_question",  # the question asks for a person, date, number or place
)

# The direction each abstention feature may push the score (+1 towards answering, -1 against,
# 0 either way). SQuAD 2.0's unanswerable questions were written with the paragraph in view, so
# there they copy its words more than answerable ones do; unconstrained, the model learns that a
# question in words the article never uses is *more* likely answered, which is false anywhere
# else. Fitted within these signs (`bench/offline_learn.py`), every weight is a reason a reader
# would give.
ABSTAIN_SIGNS: dict[str, int] = {
    "rank_score": 1,
    "margin": 1,
    "sentence_coverage": 1,
    "passage_coverage": 1,
    "spread": -1,
    "window_coverage": 1,
    "missing_idf": -1,
    "max_missing_idf": -1,
    "unknown": -1,
    "names_elsewhere": -1,
    "off_paragraph": -1,
    "missing_words": -1,
    "bigrams": 1,
    "type_missing": -1,
    "type_in_question": -1,
    "unit_missing": -1,
    "negation": -1,
    "antonym": -1,
    "number_elsewhere": -1,
    "question_words": 0,
    "typed_question": 0,
}


def missing_idf(index: SentenceIndex, q: QuestionTerms, row: int) -> tuple[float, float]:
    missing = [index.idf(k) for k in q.keys if k not in index.terms[row]]
    return sum(missing), max(missing, default=0.0)


def window_coverage(index: SentenceIndex, q: QuestionTerms, row: int) -> float:
    same = [
        r
        for r in (row - 1, row + 1)
        if 0 <= r < len(index.sentences)
        and index.sentences[r].paragraph == index.sentences[row].paragraph
    ]
    return max((index.coverage(q.keys, [row, r]) for r in same), default=0.0)


def unknown_share(index: SentenceIndex, q: QuestionTerms) -> float:
    if not q.keys:
        return 0.0
    total = sum(index.idf(k) for k in q.keys)
    return sum(index.idf(k) for k in q.keys if k not in index.vocabulary) / total


def names_elsewhere(index: SentenceIndex, q: QuestionTerms, row: int) -> float:
    names = [match_keys(n, frozenset()) for n in q.info.names]
    names = [n for n in names if n and all(k in index.vocabulary for k in n)]
    if not names:
        return 0.0
    terms = index.terms[row]
    return sum(not all(k in terms for k in n) for n in names) / len(names)


def off_paragraph(index: SentenceIndex, q: QuestionTerms, row: int) -> float:
    """Words of the question found elsewhere in the article but not around the sentence: the
    mark of a question that moved an entity from another passage into this one."""
    if not q.keys:
        return 0.0
    number = index.sentences[row].paragraph
    rows = [r for r, s in enumerate(index.sentences) if s.paragraph == number]
    near = frozenset().union(*(index.terms[r] for r in rows))
    total = sum(index.idf(k) for k in q.keys)
    far = [k for k in q.keys if k in index.vocabulary and k not in near]
    return sum(index.idf(k) for k in far) / total


def unit_missing(info: QuestionInfo, kind_found: bool) -> bool:
    """A measure is asked for and the sentence (`kind_found`: `typed`) has no number in its
    unit: "How old is the mayor?" of a sentence that gives no age."""
    return strict(info.units) and not kind_found


def type_in_question(index: SentenceIndex, q: QuestionTerms, row: int) -> bool:
    """The sentence has a candidate of the expected kind, but only one the question names."""
    kind = q.info.answer_type
    if kind is AnswerType.ANY:
        return False
    text = index.sentences[row].text
    return not typed(index, q, row) and has_type(
        text, frozenset(), kind, q.info.counted, q.info.units
    )
