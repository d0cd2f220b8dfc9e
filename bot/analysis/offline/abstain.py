"""Whether the article answers a question: evidence for and against the best sentence.

Each feature (`features.ABSTAIN_FEATURES`) is something a careful reader checks before saying
"the article says X": how much of the question the sentence and its paragraph hold, weighted by
how rare each word is in the article; the rarest word missing; names of the question that the
article has but the sentence doesn't; whether the sentence holds the kind of answer asked for
("who" wants a name the question doesn't already give, "when" a date, "how many" a number),
or only the question's own (the swapped entity of a near miss); negation and antonyms ("Which
did not..." answered by a sentence without a negation, "the largest" by one that only says
"the smallest"); a number of the question that the article has but not in that sentence.
Each feature may only push the score the way a reader's reason would (`bench/offline_learn.py`
fits within those signs).
A logistic model learned on SQuAD 2.0 articles (`bench/offline_learn.py`, checked on articles
it was not fitted on) turns them into one support score, the probability that the article
answers; below the cut-off the answer is "the article doesn't say". A name or number of the
question that the article never mentions is a refusal on its own ("The article doesn't
mention Macron.").
"""

from __future__ import annotations

import math

from bot.analysis.offline.features import (
    QuestionTerms,
    bigram_share,
    missing_idf,
    names_elsewhere,
    off_paragraph,
    type_in_question,
    typed,
    unknown_share,
    window_coverage,
)
from bot.analysis.offline.questions import ANTONYMS, NEGATION, AnswerType, QuestionInfo
from bot.analysis.offline.sentence_index import SentenceIndex
from bot.analysis.offline.spans import tokens
from bot.analysis.offline.weights import TUNED_CUTOFF
from bot.analysis.text import normalize

# Cut-off on the support score, the default operating point: where the tuning set's answerable
# questions are refused at most `bench/offline_learn.py`'s TARGET_REFUSED of the time.
MIN_SUPPORT = round(TUNED_CUTOFF, 2)
# A paragraph that holds under this share of the question (IDF-weighted) is about something
# else: refused whatever the model says. SQuAD's questions were written from their paragraph so
# it rarely matters there (held out: -1 to +2 points declined at 10% refused), but on a news
# article a question in words the article doesn't use ("the share price of the developer") lands
# on whichever sentence shares one of them.
MIN_PASSAGE = 0.2
# Where the paragraph is only a sentence or two (news), a question about something else still
# finds one of its words there, so the paragraph must hold this much of the question instead.
SHORT_PASSAGE = 2
MIN_SHORT_PASSAGE = 0.45
# Cut-offs `articlebot eval` reports the trade-off at (the default is added among them).
TRADEOFF_CUTOFFS = (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


def thin(index: SentenceIndex, q: QuestionTerms, row: int) -> bool:
    """Is the chosen sentence's paragraph too thin on the question to answer it?"""
    rows = _paragraph(index, row)
    floor = MIN_SHORT_PASSAGE if len(rows) <= SHORT_PASSAGE else MIN_PASSAGE
    return index.coverage(q.keys, rows) < floor


def _paragraph(index: SentenceIndex, row: int) -> list[int]:
    number = index.sentences[row].paragraph
    return [r for r, s in enumerate(index.sentences) if s.paragraph == number]


def abstain_features(
    index: SentenceIndex, q: QuestionTerms, row: int, rank_scores: tuple[float, float]
) -> list[float]:
    """Feature values (`ABSTAIN_FEATURES` order) for the chosen sentence `row`; `rank_scores`
    are the ranker's scores of the chosen sentence and the runner-up."""
    text = index.sentences[row].text
    missing, rarest = missing_idf(index, q, row)
    paragraph = _paragraph(index, row)
    sentence = index.coverage(q.keys, [row])
    passage = index.coverage(q.keys, paragraph)
    return [
        rank_scores[0],
        rank_scores[0] - rank_scores[1],
        sentence,
        passage,
        max(0.0, passage - sentence),
        window_coverage(index, q, row),
        missing,
        rarest,
        unknown_share(index, q),
        names_elsewhere(index, q, row),
        off_paragraph(index, q, row),
        float(sum(k not in index.terms[row] for k in q.keys)),
        bigram_share(index, q, row),
        float(not typed(index, q, row)),
        float(type_in_question(index, q, row)),
        float(q.info.negated and NEGATION.search(normalize(text)) is None),
        float(antonym(q.info, text)),
        float(number_elsewhere(q.info, text)),
        math.log1p(len(q.keys)),
        float(q.info.answer_type is not AnswerType.ANY),
    ]


def number_elsewhere(info: QuestionInfo, sentence: str) -> bool:
    """A number the question names (and the article has) missing from the sentence."""
    text = normalize(sentence).replace(",", "")
    return any(n[:1].isdigit() and normalize(n).replace(",", "") not in text for n in info.names)


def antonym(info: QuestionInfo, sentence: str) -> bool:
    words = {t.norm for t in tokens(sentence)}
    return any(w in ANTONYMS and w not in words and ANTONYMS[w] in words for w in info.words)
