"""Offline answers: the span of the article that answers, quoted in its verbatim sentence.

Sentences are ranked with BM25 (the same terms as paragraph retrieval), and the few best are
re-read for how much of the question they cover and whether they hold the kind of answer asked
for (`abstain`). If the evidence is too thin, the honest answer is that the article doesn't say
(naming what it never mentions, when that is why). Otherwise the answer text is the span that
answers (a name, a date, a number, a short phrase: `spans`), or the sentence itself when no span
fits, and the sentence is the quote. Only story sentences are used, not captions or teasers
for other stories, unless the article has nothing else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from bot.analysis.models import Answer, Quote
from bot.analysis.offline.abstain import MIN_SUPPORT, Signals, support
from bot.analysis.offline.names import MONTHS_DAYS
from bot.analysis.offline.questions import (
    ANTONYMS,
    NEGATION,
    AnswerType,
    QuestionInfo,
    read_question,
)
from bot.analysis.offline.sentences import Sentence, parse
from bot.analysis.offline.spans import Span, best_span, has_type, question_keys, tokens
from bot.analysis.per_article import PerArticle
from bot.analysis.quotes import MIN_WORDS
from bot.analysis.retrieval import PREFIX_LEN, index_terms, paragraph_scores, query_weights
from bot.analysis.text import QUESTION_WORDS, STOPWORDS, normalize, tokenize
from bot.domain.article import Article

NOT_SAID = "The article doesn't say."
MAX_QUOTES = 3
# Further sentences are quoted when they score at least this share of the best one.
RUNNER_UP = 0.75
# Weight of the paragraph's BM25 score in a sentence's (see _with_paragraphs).
PARAGRAPH_WEIGHT = 2.0
# Sentences re-read for coverage and answer type after BM25 ranking.
RERANK = 5
COVERAGE_WEIGHT = 0.5
TYPE_WEIGHT = 0.2
# How close (rapidfuzz ratio) a misspelt name must be to a word of the article.
FUZZY_NAME = 80


@dataclass(frozen=True)
class _SentenceIndex:
    sentences: tuple[Sentence, ...]
    bm25: bm25s.BM25
    terms: tuple[frozenset[str], ...]  # words and word prefixes of each sentence
    df: dict[str, int]
    vocabulary: frozenset[str]  # every word and word prefix of the article
    words: tuple[str, ...]  # every distinct word of the article (for misspelt names)
    initials: frozenset[str]  # "un" for "United Nations": what acronyms may stand for

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
    distinct = set(tokenize(article.text))  # once: the vocabulary is derived from it
    vocabulary = frozenset(_key(w) for w in distinct)
    words = tuple(sorted(distinct))
    return _SentenceIndex(sentences, bm25, terms, df, vocabulary, words, _initials(article.text))


_CAPITAL_RUN = re.compile(r"(?:\b[A-Z][\w’'-]*(?:\s+(?:of|for|and|the)\s+|\s+)){1,5}[A-Z][\w’'-]*")


def _initials(text: str) -> frozenset[str]:
    runs = _CAPITAL_RUN.findall(text)
    out: set[str] = set()
    for run in runs:
        caps = [w[0] for w in run.split() if w[:1].isupper()]
        out.add("".join(caps).casefold())
    return frozenset(out)


_index = PerArticle(_build_index)


def _match_keys(text: str, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """A word matches its exact form or, for long words, its prefix ("turbine" ~ "turbines")."""
    return [_key(w) for w in tokenize(text, stopwords=stopwords)]


def _key(word: str) -> str:
    return word if len(word) <= PREFIX_LEN else word[:PREFIX_LEN] + "~"


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


def coverage(index: _SentenceIndex, keys: set[str], rows: Sequence[int]) -> float:
    """IDF-weighted share of the question's topic words that occur in the given sentences."""
    if not keys:
        return 0.0
    present = frozenset().union(*(index.terms[r] for r in rows))
    total = sum(index.idf(k) for k in keys)
    return sum(index.idf(k) for k in keys if k in present) / total


def absent_names(index: _SentenceIndex, info: QuestionInfo) -> tuple[str, ...]:
    """The question's names and numbers that occur nowhere in the article."""
    return tuple(n for n in info.names if not _present(index, n))


def _present(index: _SentenceIndex, name: str) -> bool:
    """Is every word of the name in the article (see `_word_present`)?"""
    return all(_word_present(index, word) for word in name.split())


def _word_present(index: _SentenceIndex, name: str) -> bool:
    """As written, as a prefix ("1970" in "1970s"), as the initials of a capitalised run
    ("UN"), or misspelt by a letter or two ("Celeron" for "Céloron")?"""
    keys = _match_keys(name, frozenset())
    if not keys or all(k in index.vocabulary for k in keys):
        return True
    word = normalize(name).replace(",", "")
    if word[:1].isdigit():
        return any(w.startswith(word) for w in index.words if w[:1].isdigit())
    if name.isupper() and word in index.initials:
        return True
    if word in MONTHS_DAYS:
        return True  # "Feb" for "February"; the day or year beside it is checked on its own
    close = process.extractOne(
        word, index.words, scorer=fuzz.ratio, score_cutoff=FUZZY_NAME, processor=None
    )
    return close is not None


@dataclass(frozen=True)
class Assessment:
    """The engine's best reading of a question, before the cut-off is applied."""

    info: QuestionInfo
    sentences: tuple[Sentence, ...]  # the best first, then runners-up in article order
    span: Span | None
    signals: Signals

    @property
    def support(self) -> float:
        return support(self.signals)


def assess(
    article: Article, question: str, *, paragraphs: Sequence[int] | None = None
) -> Assessment | None:
    """Rank the sentences for the question and gather the evidence; None if nothing matches."""
    index = _index(article)
    if not index.sentences:
        return None
    scores = _scores(index, question)
    if paragraphs:
        allowed = set(paragraphs)
        mask = np.array([s.paragraph in allowed for s in index.sentences])
        scores = np.where(mask, scores, 0.0)
    if scores.max() <= 0:
        return None
    scores = _with_paragraphs(article, index, question, scores)
    info = read_question(question)
    keys = set(_match_keys(question, STOPWORDS | QUESTION_WORDS))
    span_keys = question_keys(question)
    best, ranked = _rerank(index, scores, info, keys, span_keys)
    sentence = index.sentences[best]
    rows = [i for i, s in enumerate(index.sentences) if s.paragraph == sentence.paragraph]
    signals = Signals(
        absent=absent_names(index, info),
        sentence_coverage=coverage(index, keys, [best]),
        passage_coverage=coverage(index, keys, rows),
        passage_sentences=len(rows),
        type_missing=not has_type(sentence.text, span_keys, info.answer_type, info.counted),
        negation=info.negated and NEGATION.search(normalize(sentence.text)) is None,
        antonym=_antonym(info, sentence.text),
        number_elsewhere=_number_elsewhere(info, sentence.text),
    )
    if info.compound:
        picked = _continued(index, best)
    else:
        chosen = [
            i for i in ranked[:MAX_QUOTES] if i != best and scores[i] >= RUNNER_UP * scores[best]
        ]
        picked = (sentence, *(index.sentences[i] for i in sorted(chosen)))
    span = _span(sentence.text, span_keys, info)
    return Assessment(info, picked, span, signals)


def _with_paragraphs(
    article: Article, index: _SentenceIndex, question: str, scores: np.ndarray
) -> np.ndarray:
    """Sentence scores plus PARAGRAPH_WEIGHT times their paragraph's (both scaled to 1): the
    paragraph that best matches the question usually holds the answer."""
    if PARAGRAPH_WEIGHT <= 0:
        return scores
    para = paragraph_scores(article, question)
    if para.max() <= 0:
        return scores
    rows = np.array([s.paragraph - 1 for s in index.sentences])
    boost = PARAGRAPH_WEIGHT * para[rows] / para.max()
    return np.where(scores > 0, scores / scores.max() + boost, 0.0)


def _rerank(
    index: _SentenceIndex,
    scores: np.ndarray,
    info: QuestionInfo,
    keys: set[str],
    span_keys: frozenset[str],
) -> tuple[int, list[int]]:
    """The best sentence among the BM25 top few, by score, coverage and answer type."""
    ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    top = [i for i in ranked[:RERANK] if scores[i] > 0]
    peak = float(scores[top[0]])

    def value(i: int) -> float:
        typed = has_type(index.sentences[i].text, span_keys, info.answer_type, info.counted)
        return (
            float(scores[i]) / peak
            + COVERAGE_WEIGHT * coverage(index, keys, [i])
            + TYPE_WEIGHT * typed
        )

    best = max(top, key=value)
    return best, ranked


def _continued(index: _SentenceIndex, best: int) -> tuple[Sentence, ...]:
    """The best sentence and the rest of its paragraph after it: "who ... and why" is answered
    by the sentence that names them and the ones that go on to give their reasons."""
    first = index.sentences[best]
    following = [s for s in index.sentences[best + 1 :] if s.paragraph == first.paragraph][
        : MAX_QUOTES - 1
    ]
    return (first, *following)


def _span(sentence: str, keys: frozenset[str], info: QuestionInfo) -> Span | None:
    """The span that answers; none (so the sentence is the answer) when the question counts
    something the sentence's numbers don't ("How many people..." of "voted 7 to 2")."""
    return best_span(sentence, keys, info.answer_type, info.counted)


def _number_elsewhere(info: QuestionInfo, sentence: str) -> bool:
    """A number the question names (and the article has) missing from the sentence."""
    text = normalize(sentence).replace(",", "")
    return any(n[:1].isdigit() and normalize(n).replace(",", "") not in text for n in info.names)


def _antonym(info: QuestionInfo, sentence: str) -> bool:
    words = {t.norm for t in tokens(sentence)}
    return any(w in ANTONYMS and w not in words and ANTONYMS[w] in words for w in info.words)


def offline_answer(
    article: Article, question: str, *, paragraphs: Sequence[int] | None = None
) -> Answer:
    found = assess(article, question, paragraphs=paragraphs)
    if found is not None:
        return decide(found, MIN_SUPPORT)
    # Nothing matched at all: still say which of the question's names the article lacks.
    absent = absent_names(_index(article), read_question(question))
    text = not_mentioned(absent) if absent else NOT_SAID
    return Answer(answer=text, answerable=False, supported=False)


def support_for(
    article: Article, question: str, *, paragraphs: Sequence[int] | None = None
) -> float:
    """The support score the engine gives its best answer (0 when nothing matches): what the
    eval's trade-off table moves its cut-off over."""
    found = assess(article, question, paragraphs=paragraphs)
    return 0.0 if found is None else found.support


def decide(found: Assessment, cutoff: float) -> Answer:
    """The answer at a given cut-off on the support score."""
    if found.signals.absent:
        return Answer(answer=not_mentioned(found.signals.absent), answerable=False, supported=False)
    if found.support < cutoff:
        return Answer(answer=NOT_SAID, answerable=False, supported=False)
    quotes = [Quote(text=s.text, paragraph=s.paragraph) for s in found.sentences]
    if found.span is not None:
        text = found.span.text
    elif found.info.compound:
        text = " ".join(s.text for s in found.sentences)
    else:
        text = found.sentences[0].text
    return Answer(answer=text, answerable=True, supported=bool(quotes), quotes=quotes)


def not_mentioned(names: Sequence[str]) -> str:
    """ "The article doesn't mention Macron." / "... mention Macron or 1990." """
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"The article doesn't mention {listed}."


__all__ = [
    "NOT_SAID",
    "AnswerType",
    "Assessment",
    "assess",
    "decide",
    "offline_answer",
    "support_for",
]
