"""Whether the article answers a question: evidence for and against the best sentence.

Each feature (`features.ABSTAIN_FEATURES`) is something a careful reader checks before saying
"the article says X". Refused outright: a name or number of the question that the article
never mentions ("The article doesn't mention Macron."), or a paragraph that holds too little of
the question (`thin`). Otherwise the support score starts at 1 and loses (`RULE`):
- spread: the share of the question (IDF-weighted) that only the rest of the paragraph adds,
  not the sentence (the relation asked about is not the one the sentence states);
- negation: the question negates ("Which did not..."), the sentence doesn't;
- antonym: the sentence has the opposite of a question word ("smallest" for "largest",
  "significant" for "insignificant");
- number: a number of the question that the article has, but not in that sentence;
- type: no candidate of the expected kind ("who" wants a name the question doesn't give);
- unit: no number in the unit a measure question asks for ("how far": metres, miles...).
A logistic regression over all the features, fitted on half the tuning articles within the
signs a reader's reasons allow, does worse on the other half at the operating point than this
score (`bench/offline_learn.py` prints both), so the score ships and the model stays a bench.
Other signals aimed at how SQuAD 2.0's unanswerable questions were made (an ordinal swapped, a
word the paragraph lacks) gain nothing on held-out articles (`bench/offline_signals.py`), nor
does declining a question whose asked-for verb or noun the article never uses: it helps news
questions, but SQuAD's answerable questions paraphrase that word as often as its unanswerable
ones lack it (`bench/offline_focus.py`). Nor does knowing paraphrases: counting a WordNet synonym,
derivation or hypernym as a match, or a WordNet antonym as a clash, separates the two kinds no
better than the plain words do, and a regression that learns which words a question adds does
worse held out (`bench/offline_paraphrase.py`).
"""

from __future__ import annotations

import math

from bot.analysis.offline.features import (
    ABSTAIN_FEATURES,
    QuestionTerms,
    bigram_share,
    missing_idf,
    names_elsewhere,
    off_paragraph,
    type_in_question,
    typed,
    unit_missing,
    unknown_share,
    window_coverage,
)
from bot.analysis.offline.learned import LinearModel
from bot.analysis.offline.questions import ANTONYMS, NEGATION, AnswerType, QuestionInfo
from bot.analysis.offline.sentence_index import SentenceIndex
from bot.analysis.offline.spans import tokens
from bot.analysis.offline.weights import TUNED_CUTOFF
from bot.analysis.text import normalize

# A measure question ("how far", "how old", "how much did it cost") with no number in its unit
# in the sentence is declined: 0.1 (type) + this takes a full score below the cut-off. On the
# SQuAD 2.0 tuning set that declines 8 more unanswerable questions and refuses 1 answerable
# one; where the sentence lacks the unit, it is usually the wrong sentence anyway.
UNIT_MISSING = 0.5
# The support score: 1 less each penalty times its feature (a linear model with set weights).
_PENALTIES = {
    "spread": 1.0,
    "negation": 0.6,
    "antonym": 0.3,
    "number_elsewhere": 0.3,
    "type_missing": 0.1,
    "unit_missing": UNIT_MISSING,
}
RULE = LinearModel(
    features=ABSTAIN_FEATURES,
    mean=(0.0,) * len(ABSTAIN_FEATURES),
    scale=(1.0,) * len(ABSTAIN_FEATURES),
    weights=tuple(-_PENALTIES.get(name, 0.0) for name in ABSTAIN_FEATURES),
    bias=1.0,
)
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
# Prefixes that turn a word into its opposite, on stems of at least MIN_STEM letters.
NEGATING_PREFIXES = ("un", "in", "im", "il", "ir", "non", "dis")
MIN_STEM = 4
# Cut-offs `articlebot eval` reports the trade-off at (the default is added among them).
TRADEOFF_CUTOFFS = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)


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
    kind_found = typed(index, q, row)
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
        float(not kind_found),
        float(type_in_question(index, q, row)),
        float(unit_missing(q.info, kind_found)),
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
    """The sentence says the opposite of a question word: a listed antonym ("smallest" for
    "largest") or the word with a negating prefix added or taken away ("insignificant" asked,
    "significant" said)."""
    words = {t.norm for t in tokens(sentence)}
    return any(
        w not in words and (ANTONYMS.get(w) in words or _prefix_opposite(w, words))
        for w in info.words
    )


def _prefix_opposite(word: str, words: set[str]) -> bool:
    return any(
        (word.startswith(p) and len(word) - len(p) >= MIN_STEM and word[len(p) :] in words)
        or (len(word) >= MIN_STEM and p + word in words)
        for p in NEGATING_PREFIXES
    )
