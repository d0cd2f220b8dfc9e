"""Whether the article answers a question: evidence for and against the best passage.

Each signal is something a careful reader checks before saying "the article says X":
- absent: every name and number the question uses must occur in the article ("The article
  doesn't mention Macron."), allowing for initials ("UN") and a misspelt letter or two;
- thin: the question's informative words (IDF-weighted) must be in the best sentence's
  paragraph; under half of them is a passage about something else;
- spread: words found in the paragraph but not in the best sentence count against it (the
  relation asked about is not the one the sentence states);
- answer type: "who" wants a name in the sentence that the question doesn't already give,
  "when" a date, "how many" a number, "where" a place;
- number: a number or year of the question that the article has, but not in the sentence
  ("in 1755" answered by a sentence about 1756);
- negation and antonyms: "Which did not..." answered by a sentence without a negation, or
  "the largest" by a sentence that only says "the smallest".
The evidence is combined into one support score, refused below a cut-off (`MIN_SUPPORT`).
`bench/offline_abstention.py` measures every signal's contribution and the trade-off curve.
"""

from __future__ import annotations

from dataclasses import dataclass

# Cut-off on the support score: the default operating point, where about 10% of answerable
# questions are refused on the SQuAD 2.0 tuning set (bench/offline_abstention.py --halves).
MIN_SUPPORT = 0.7
# Cut-offs `articlebot eval` reports the trade-off at (the default among them).
TRADEOFF_CUTOFFS = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)
# The question's words spread over the paragraph but not together in one sentence are the mark
# of a near miss: the score (from 1) loses SPREAD times the share of the question that only the
# rest of the best sentence's paragraph adds.
SPREAD = 1.0
# A passage that holds under this share of the question (IDF-weighted) is about something else:
# refused whatever the rest says (on short articles, where paragraphs are a sentence or two,
# this is most of what tells a near miss from a question the article answers).
MIN_PASSAGE = 0.25
# Where the paragraph is only a sentence or two (news), the spread cannot show, so the passage
# must hold this much of the question instead (the engine's earlier cut-off, bench/retrieval.py).
SHORT_PASSAGE = 2
MIN_SHORT_PASSAGE = 0.45
PENALTY: dict[str, float] = {
    "type": 0.1,  # the expected kind of answer is not in the sentence
    "negation": 0.6,  # the question negates, the sentence doesn't
    "antonym": 0.3,  # the sentence has the opposite of a question word instead of it
    "number": 0.3,  # a number of the question is in the article but not in the sentence
}
SIGNALS = ("absent", "thin", "spread", *PENALTY)


@dataclass(frozen=True, slots=True)
class Signals:
    absent: tuple[str, ...]  # question names the article never mentions
    sentence_coverage: float
    passage_coverage: float
    passage_sentences: int
    type_missing: bool
    negation: bool
    antonym: bool
    number_elsewhere: bool = False

    def flags(self) -> dict[str, bool]:
        return {
            "type": self.type_missing,
            "negation": self.negation,
            "antonym": self.antonym,
            "number": self.number_elsewhere,
        }


def _floor(signals: Signals) -> float:
    short = signals.passage_sentences <= SHORT_PASSAGE
    return MIN_SHORT_PASSAGE if short else MIN_PASSAGE


def support(signals: Signals, *, off: frozenset[str] = frozenset()) -> float:
    """Support score in [0, 1]-ish; `off` leaves signals out (for the ablation bench)."""
    if signals.absent and "absent" not in off:
        return 0.0
    score = 1.0
    if "spread" not in off:
        score -= SPREAD * max(0.0, signals.passage_coverage - signals.sentence_coverage)
    if "thin" not in off and signals.passage_coverage < _floor(signals):
        return 0.0
    for name, raised in signals.flags().items():
        if raised and name not in off:
            score -= PENALTY[name]
    return score
