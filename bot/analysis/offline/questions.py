"""What a question asks for: the kind of answer it expects, and the words it names.

The offline engine has no model to read a question, so it reads the cues people use: the
wh-word ("who", "when", "how many"...) says what kind of answer would do (a person, a date, a
number, a place); capitalised words and numbers name things the article must mention for the
question to be about it at all; "not", "never" and the like flip what a sentence must say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from bot.analysis.offline.units import Unit, wanted_units
from bot.analysis.text import STOPWORDS, normalize, wordset


class AnswerType(Enum):
    PERSON = "person"  # who, whom, whose
    DATE = "date"  # when, what year, which century...
    NUMBER = "number"  # how many, how much, what percentage...
    PLACE = "place"  # where
    NAME = "name"  # what is the name of..., which company / party / person...
    ANY = "any"  # what, which, why, how...


# First match wins: "what year" is a date before "what" is anything.
_TYPE_CUES: tuple[tuple[re.Pattern[str], AnswerType], ...] = (
    (
        re.compile(
            r"\b(?:how\s+(?:many|much|long|old|far|big|large|tall|high|deep|wide|fast|often)|"
            r"what\s+(?:percentage|percent|proportion|number|amount|fraction|share)|"
            r"what\s+(?:was|is|were)\s+the\s+(?:population|number|total|size))\b"
        ),
        AnswerType.NUMBER,
    ),
    (
        re.compile(
            r"\b(?:when|(?:what|which|in\s+what|in\s+which)\s+(?:year|years|century|centuries|"
            r"decade|date|day|month|time|period|era|season))\b"
        ),
        AnswerType.DATE,
    ),
    (re.compile(r"\bwhat\s+(?:is|was|are|were)\s+(?:the\s+|its\s+|their\s+)?(?:\w+\s+)?"
                r"names?\s+of\b|\b(?:what|which)\s+(?:company|companies|organi[sz]ations?|"
                r"person|team|teams|university|newspaper|party|king|queen|emperor|president|"
                r"general|scientist|architect|artist|composer|writer|author)\b"),
     AnswerType.NAME),
    (re.compile(r"\bwhere\b|\b(?:what|which)\s+(?:city|country|state|town|region|place)\b"),
     AnswerType.PLACE),
    (re.compile(r"\bwho(?:m|se)?\b"), AnswerType.PERSON),
)  # fmt: skip
NEGATION = re.compile(r"\b(?:not|never|no|none|nobody|nothing|neither|nor|without)\b|n[’']t\b")
# Words whose opposite in the sentence means it says the reverse of what is asked.
_ANTONYM_PAIRS = (
    "increase decrease",
    "increased decreased",
    "rise fall",
    "before after",
    "first last",
    "largest smallest",
    "biggest smallest",
    "most least",
    "more less",
    "more fewer",
    "highest lowest",
    "higher lower",
    "earliest latest",
    "earlier later",
    "maximum minimum",
    "major minor",
    "longest shortest",
    "longer shorter",
    "oldest newest",
    "older newer",
    "best worst",
    "better worse",
    "positive negative",
    "win lose",
    "won lost",
    "gain loss",
    "allow forbid",
    "allowed banned",
    "accept reject",
    "accepted rejected",
    "start end",
    "began ended",
    "north south",
    "east west",
    "inside outside",
    "internal external",
    "upper lower",
    "strong weak",
    "private public",
    "success failure",
)
ANTONYMS: dict[str, str] = {}
for _pair in _ANTONYM_PAIRS:
    _a, _b = _pair.split()
    ANTONYMS[_a], ANTONYMS[_b] = _b, _a
_COUNTED = re.compile(r"\bhow many ([a-z][\w-]*)(?: ([a-z][\w-]*))?")
_WH_WORDS = wordset("what which who whom whose when where why how")
_NAME_TOKEN = re.compile(r"[^\W\d_][\w’'.-]*|\d[\d,.]*")
# Capitalised words that are not names even inside a question.
_NOT_NAMES = wordset("i what which who whom whose when where why how did does do is was were are")


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    text: str
    answer_type: AnswerType
    names: tuple[str, ...]  # capitalised words and numbers, as written ("Macron", "1990")
    negated: bool
    compound: bool  # "who ... and why": more than one thing asked, answer with a passage
    words: frozenset[str]  # normalised words of the question
    counted: str | None = None  # "how many turbines": what the number must count
    # "What did Keane say about…": a statement is asked for, so the answer is the sentence,
    # not a phrase cut from it (an appositive like "chair of the association" is no answer).
    statement: bool = False
    # "How far…", "how much did it cost": the units the number must be in ("800 metres").
    units: tuple[Unit, ...] = ()


def answer_type(question: str) -> AnswerType:
    lowered = normalize(question)
    for pattern, kind in _TYPE_CUES:
        if pattern.search(lowered):
            return kind
    return AnswerType.ANY


def question_names(question: str) -> tuple[str, ...]:
    """Capitalised words (not the first word) and numbers: the question's specific terms.
    Capitalised words in a row are one name ("Prime Minister", "Wang Yi")."""
    names: list[str] = []
    joined_to: int | None = None  # where the last capitalised word ended, to join the next
    for n, m in enumerate(_NAME_TOKEN.finditer(question)):
        word = m.group().rstrip(".,’'").removesuffix("’s").removesuffix("'s")
        if not word:
            continue
        if word[0].isdigit():
            names.append(word)
            joined_to = None
        elif n > 0 and word[0].isupper() and word.casefold() not in _NOT_NAMES:
            if joined_to is not None and question[joined_to : m.start()] == " ":
                names[-1] = f"{names[-1]} {word}"
            else:
                names.append(word)
            joined_to = m.start() + len(word) if word == m.group() else None
        else:
            joined_to = None
    return tuple(dict.fromkeys(names))


def read_question(question: str) -> QuestionInfo:
    lowered = normalize(question)
    wh = [w for w in re.findall(r"\w+", lowered) if w in _WH_WORDS]
    return QuestionInfo(
        text=question,
        answer_type=answer_type(question),
        names=question_names(question),
        negated=NEGATION.search(lowered) is not None,
        compound=len(set(wh)) > 1 and " and " in lowered,
        words=frozenset(re.findall(r"\w+", lowered)) - STOPWORDS,
        counted=_counted(lowered),
        statement=_STATEMENT.search(lowered) is not None,
        units=wanted_units(lowered),
    )


_STATEMENT = re.compile(
    r"\bwhat\s+(?:did|does|do|has|have|had|will|would|is|was)\b.*\b(?:say|said|says|think|"
    r"thinks|thought|argue|argued|claim|claimed|warn|warned|tell|told|write|wrote|believe|"
    r"believes|suggest|suggested|announce|announced|promise|promised|predict|predicted)\b"
)


def _counted(lowered: str) -> str | None:
    """The noun a "how many" question counts: "how many turbines", "how many harbour porpoises"."""
    m = _COUNTED.search(lowered)
    if m is None:
        return None
    first, second = m.group(1), m.group(2)
    # "how many harbour porpoises": a singular word before a plural one modifies it.
    plural = second is not None and second.endswith("s") and second not in STOPWORDS
    return second if plural and not first.endswith("s") else first
