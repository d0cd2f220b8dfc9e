"""Offline answers: the span of the article that answers, quoted verbatim from its sentence.

Sentences are ranked with BM25 (the same terms as paragraph retrieval), and the few best are
re-read for how much of the question they cover and whether they hold the kind of answer asked
for (`abstain`). If the evidence is too thin, the honest answer is that the article doesn't say
(naming what it never mentions, when that is why). Otherwise the answer text is the span that
answers (a name, a date, a number, a short phrase: `spans`), or the sentence itself when no span
fits; the quote is the clause of the sentence that holds the span and a word of the question
(`clauses`), or the whole sentence. Only story sentences are used, not captions or teasers
for other stories, unless the article has nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.analysis.models import Answer, Quote
from bot.analysis.offline.abstain import MIN_SUPPORT, RULE, abstain_features, thin
from bot.analysis.offline.clauses import answer_clause
from bot.analysis.offline.features import (
    QuestionTerms,
    Scores,
    question_terms,
    rank_features,
)
from bot.analysis.offline.focus import absent_focus, article_vocabulary
from bot.analysis.offline.learned import LinearModel
from bot.analysis.offline.names import MONTHS_DAYS
from bot.analysis.offline.questions import AnswerType, QuestionInfo, read_question
from bot.analysis.offline.sentence_index import SentenceIndex, match_keys, sentence_index
from bot.analysis.offline.sentences import Sentence
from bot.analysis.offline.spans import Span, best_span
from bot.analysis.offline.units import Unit
from bot.analysis.offline.weights import RANKER
from bot.analysis.retrieval import paragraph_scores
from bot.analysis.text import normalize
from bot.domain.article import Article

NOT_SAID = "The article doesn't say."
# How an answer the article may not give begins (see `hedged`).
HEDGED = "The article doesn't say this directly"
MAX_QUOTES = 3
# Further sentences are quoted when the ranker gives them at least this share of the best one's
# probability (softmax over the candidates).
RUNNER_UP = 0.15
# Weight of the paragraph's BM25 score in a sentence's (see sentence_scores).
PARAGRAPH_WEIGHT = 2.0
# Sentences the learned ranker re-reads, the best by BM25 first.
RERANK = 8
_DIGITS = re.compile(r"\d(?:[\d.]*\d)?")
# How close (rapidfuzz ratio) a misspelt name must be to a word of the article.
FUZZY_NAME = 80


def absent_names(index: SentenceIndex, info: QuestionInfo) -> tuple[str, ...]:
    """The question's names and numbers that occur nowhere in the article."""
    return tuple(n for n in info.names if not _present(index, n))


def _present(index: SentenceIndex, name: str) -> bool:
    """Is every word of the name in the article (see `_word_present`)?"""
    return all(_word_present(index, word) for word in name.split())


def _word_present(index: SentenceIndex, name: str) -> bool:
    """As written, as a prefix ("1970" in "1970s"), as the initials of a capitalised run
    ("UN"), or misspelt by a letter or two ("Celeron" for "Céloron")? A number is looked for
    whole: "3,222,000" is not in an article that says "4,222,000" and "3"."""
    word = normalize(name).replace(",", "")
    number = _DIGITS.match(word)
    if number is not None:
        return any(n.startswith(number.group()) for n in index.numbers)
    keys = match_keys(name, frozenset())
    if not keys or all(k in index.vocabulary for k in keys):
        return True
    if name.isupper() and word in index.initials:
        return True
    if word in MONTHS_DAYS:
        return True  # "Feb" for "February"; the day or year beside it is checked on its own
    close = process.extractOne(
        word, index.words, scorer=fuzz.ratio, score_cutoff=FUZZY_NAME, processor=None
    )
    return close is not None


@dataclass(frozen=True)
class Models:
    """The sentence ranker (learned) and support score `assess` uses; a bench may swap them."""

    ranker: LinearModel = RANKER
    abstainer: LinearModel = RULE


SHIPPED = Models()


@dataclass(frozen=True)
class Assessment:
    """The engine's best reading of a question, before the cut-off is applied."""

    info: QuestionInfo
    sentences: tuple[Sentence, ...]  # the best first, then runners-up in article order
    span: Span | None
    absent: tuple[str, ...]  # question names the article never mentions
    quote: str  # what is quoted of the best sentence: the clause with the answer, or all of it
    features: tuple[float, ...]  # the abstention features (`ABSTAIN_FEATURES` order)
    support: float  # how well the sentence supports an answer (0: a name absent, too thin)
    # What the question asks for that the article never mentions ("earn"): hedge, no span.
    unasked: tuple[str, ...] = ()


def assess(
    article: Article,
    question: str,
    *,
    paragraphs: Sequence[int] | None = None,
    models: Models = SHIPPED,
) -> Assessment | None:
    """Rank the sentences for the question and gather the evidence; None if nothing matches."""
    index = sentence_index(article)
    if not index.sentences:
        return None
    scores = sentence_scores(article, index, question, paragraphs)
    if scores is None:
        return None
    q = question_terms(question)
    ranked = rank_candidates(index, q, scores, models.ranker)
    best = ranked[0][0]
    runner_up = ranked[1][1] if len(ranked) > 1 else ranked[0][1] - 5.0
    features = tuple(abstain_features(index, q, best, (ranked[0][1], runner_up)))
    absent = absent_names(index, q.info)
    outright = bool(absent) or thin(index, q, best)
    support = 0.0 if outright else max(0.0, models.abstainer.score(features))
    picked = _quoted(index, q, ranked)
    span = None
    if not q.info.statement:
        info = q.info
        span = best_span(picked[0].text, q.span_keys, info.answer_type, info.counted, info.units)
    quote = picked[0].text
    if span is not None and not q.info.compound:
        quote = answer_clause(quote, span, q.keys)
    unasked: tuple[str, ...] = ()
    if q.info.answer_type is AnswerType.ANY:  # a typed span (a number, a date) stands anyway
        unasked = absent_focus(article_vocabulary(article), question)
    return Assessment(q.info, picked, span, absent, quote, features, support, unasked)


def sentence_scores(
    article: Article, index: SentenceIndex, question: str, paragraphs: Sequence[int] | None
) -> Scores | None:
    """BM25 of every sentence, of its paragraph, and the two combined (PARAGRAPH_WEIGHT times
    the paragraph's: the paragraph that best matches the question usually holds the answer)."""
    sentence = index.bm25_scores(question)
    if paragraphs:
        allowed = set(paragraphs)
        sentence = np.where([s.paragraph in allowed for s in index.sentences], sentence, 0.0)
    if sentence.max() <= 0:
        return None
    para = paragraph_scores(article, question)
    rows = np.array([s.paragraph - 1 for s in index.sentences])
    para = para[rows] / para.max() if para.max() > 0 else np.zeros(len(rows))
    para = np.where(sentence > 0, para, 0.0)
    sentence = sentence / sentence.max()
    combined = np.where(sentence > 0, sentence + PARAGRAPH_WEIGHT * para, 0.0)
    combined = combined / combined.max()
    order = sorted((i for i in range(len(combined)) if combined[i] > 0), key=lambda i: -combined[i])
    return Scores(combined, sentence, para, tuple(order))


def rank_candidates(
    index: SentenceIndex, q: QuestionTerms, scores: Scores, ranker: LinearModel
) -> list[tuple[int, float]]:
    """The RERANK best sentences by BM25, re-ordered by the learned ranker: (row, score)."""
    candidates = scores.ranked[:RERANK]
    values = [ranker.score(rank_features(index, q, scores, r)) for r in candidates]
    return sorted(zip(candidates, values, strict=True), key=lambda rv: -rv[1])


def _quoted(
    index: SentenceIndex, q: QuestionTerms, ranked: list[tuple[int, float]]
) -> tuple[Sentence, ...]:
    """The best sentence, then the runners-up the ranker finds nearly as likely (in article
    order), or for "who ... and why" the rest of the best sentence's paragraph."""
    best, top = ranked[0]
    if q.info.compound:
        return _continued(index, best)
    close = [r for r, v in ranked[1:MAX_QUOTES] if np.exp(v - top) >= RUNNER_UP]
    return (index.sentences[best], *(index.sentences[r] for r in sorted(close)))


def _continued(index: SentenceIndex, best: int) -> tuple[Sentence, ...]:
    """The best sentence and the rest of its paragraph after it: "who ... and why" is answered
    by the sentence that names them and the ones that go on to give their reasons."""
    first = index.sentences[best]
    following = [s for s in index.sentences[best + 1 :] if s.paragraph == first.paragraph][
        : MAX_QUOTES - 1
    ]
    return (first, *following)


def offline_answer(
    article: Article, question: str, *, paragraphs: Sequence[int] | None = None
) -> Answer:
    found = assess(article, question, paragraphs=paragraphs)
    if found is not None:
        return decide(found, MIN_SUPPORT)
    # Nothing matched at all: still say which of the question's names the article lacks.
    absent = absent_names(sentence_index(article), read_question(question))
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
    if found.absent:
        return Answer(answer=not_mentioned(found.absent), answerable=False, supported=False)
    if found.support < cutoff:
        return Answer(answer=NOT_SAID, answerable=False, supported=False)
    first, *rest = found.sentences
    hedge = _hedge(found)
    if hedge is not None:  # the closest passage, whole, for the reader to judge; no span
        quotes = [Quote(text=s.text, paragraph=s.paragraph) for s in found.sentences]
        return Answer(answer=hedge, answerable=True, supported=True, quotes=quotes)
    quotes = [Quote(text=found.quote, paragraph=first.paragraph)]
    quotes += [Quote(text=s.text, paragraph=s.paragraph) for s in rest]
    if found.span is not None:
        text = found.span.text
    elif found.info.compound:
        text = " ".join(s.text for s in found.sentences)
    else:
        text = found.sentences[0].text
    return Answer(answer=text, answerable=True, supported=bool(quotes), quotes=quotes)


def _hedge(found: Assessment) -> str | None:
    """What to say instead of a span when the article may not give the answer: the question's
    focus is never mentioned ("earn"), or a typed question's passage holds nothing of its kind
    ("When will Xi visit Russia?" of a passage with no date); None to answer."""
    if found.unasked:
        return hedged(found.unasked)
    info = found.info
    typed = info.answer_type is not AnswerType.ANY
    if found.span is None and typed and not (info.compound or info.statement):
        return untyped(info)
    return None


def hedged(words: Sequence[str]) -> str:
    """What the engine says when the article never mentions what the question asks for."""
    listed = " or ".join(f"“{w}”" for w in words)
    return f"{HEDGED}: it never mentions {listed}. The closest passage is quoted below."


_KIND_WORDS = {
    AnswerType.DATE: "date",
    AnswerType.PERSON: "name",
    AnswerType.NAME: "name",
    AnswerType.PLACE: "place",
    AnswerType.NUMBER: "figure",
}
_UNIT_WORDS = {
    Unit.LENGTH: "distance or size",
    Unit.DURATION: "length of time",
    Unit.AGE: "age",
    Unit.MONEY: "sum of money",
    Unit.SPEED: "speed",
}


def untyped(info: QuestionInfo) -> str:
    """What the engine says when the passage closest to a typed question ("when", "how many",
    "who") holds nothing of that kind: the passage is quoted for the reader to judge."""
    if info.counted:
        what = f"number of {info.counted}"
    elif info.units:
        what = _UNIT_WORDS[info.units[0]]
    else:
        what = _KIND_WORDS[info.answer_type]
    return f"{HEDGED}: the closest passage gives no {what}. It is quoted below."


def not_mentioned(names: Sequence[str]) -> str:
    """ "The article doesn't mention Macron." / "... mention Macron or 1990." """
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"The article doesn't mention {listed}."


__all__ = [
    "HEDGED",
    "NOT_SAID",
    "AnswerType",
    "Assessment",
    "assess",
    "decide",
    "offline_answer",
    "support_for",
]
