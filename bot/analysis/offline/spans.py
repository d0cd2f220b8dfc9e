"""The span of a sentence that answers a question: a name, a date, a number or a short phrase.

A sentence that answers "When did X happen?" usually says X in the question's own words and
the date right next to them. So candidates of the expected type (dates, numbers, capitalised
names; for other questions, phrases between punctuation) are taken from the sentence, those
made of the question's own words are dropped, and the one closest to the words the sentence
shares with the question wins. Spans are verbatim slices of the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.analysis.offline.names import COMMON_STARTERS, CONNECTORS, MONTHS_DAYS
from bot.analysis.offline.questions import AnswerType
from bot.analysis.offline.units import Unit, strict, unit_end
from bot.analysis.retrieval import PREFIX_LEN
from bot.analysis.text import STOPWORDS, normalize, wordset

_TOKEN = re.compile(r"[$£€¥]?\d(?:[\d,.:]*\d)?(?:%|s\b)?|[^\W\d_][\w’'.-]*[\w]|[^\W\d_]|[^\w\s]")
_NUMBER_WORDS = wordset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred thousand million billion trillion dozen dozens hundreds thousands millions half
    quarter third once twice several"""
)
_SCALE_WORDS = wordset("hundred thousand million billion trillion percent per cent km kilometres")
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$|^(?:first|second|third|fourth|fifth|[a-z]+tieth)$")
_YEAR = re.compile(r"^(?:1[0-9]{3}|20[0-9]{2})s?$")
_DATE_WORDS = MONTHS_DAYS | wordset(
    "century centuries decade bc ad bce ce spring summer autumn fall winter today yesterday"
)
_BREAK = frozenset(',;:()[]"“”—–?!')
MAX_PHRASE_WORDS = 8
# A span the question's words follow ("<span> is X") reads as an answer less often than one
# they precede ("X is <span>"); its score is scaled by this.
LEADING_SPAN = 0.6
_NAMES = (AnswerType.PERSON, AnswerType.PLACE, AnswerType.NAME)
# A place named after "at", "in"... is where something is; one named otherwise ("research on
# China") is what it is about: the first scores this many times more.
_LOCATIVE = wordset("at in near from inside outside across throughout")
LOCATED = 2.0
# "40 permanent jobs": the counted noun within this many words after the number.
COUNTED_GAP = 3


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str
    norm: str

    @property
    def key(self) -> str:
        return self.norm if len(self.norm) <= PREFIX_LEN else self.norm[:PREFIX_LEN] + "~"


@dataclass(frozen=True, slots=True)
class Span:
    start: int  # offsets in the sentence
    end: int
    text: str
    score: float


def tokens(sentence: str) -> list[Token]:
    return [
        Token(m.start(), m.end(), m.group(), normalize(m.group()).strip(".’'"))
        for m in _TOKEN.finditer(sentence)
    ]


def question_keys(question: str) -> frozenset[str]:
    """Match keys of the question's content words (exact, or 5-letter prefix for long words)."""
    keys = {t.key for t in tokens(question) if t.norm and t.norm not in STOPWORDS}
    return frozenset(k for k in keys if k[:1].isalnum())


def _is_numeric(tok: Token) -> bool:
    if tok.norm[:1].isdigit() or tok.text[:1] in "$£€¥":
        return True
    return all(part in _NUMBER_WORDS for part in tok.norm.split("-"))  # "twenty-five"


def _is_date(tok: Token) -> bool:
    return bool(_YEAR.match(tok.norm) or tok.norm in _DATE_WORDS or _ORDINAL.match(tok.norm))


def _is_capital(tok: Token, first: bool) -> bool:
    if not tok.text[:1].isupper() or tok.norm in MONTHS_DAYS:
        return False
    return not (first and tok.norm in COMMON_STARTERS | STOPWORDS)


def _runs(
    toks: list[Token], check: Callable[[int], bool], joiners: frozenset[str]
) -> list[tuple[int, int]]:
    """Maximal [i, j) runs of tokens passing `check`, joined by `joiners` between two of them."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        if not check(i):
            i += 1
            continue
        j = i + 1
        while j < len(toks):
            if check(j):
                j += 1
            elif toks[j].norm in joiners and j + 1 < len(toks) and check(j + 1):
                j += 2
            else:
                break
        runs.append((i, j))
        i = j
    return runs


def typed_runs(toks: list[Token], kind: AnswerType) -> list[tuple[int, int]]:
    """Runs of tokens of the expected kind: numbers (with their scale), dates, names."""
    if kind is AnswerType.NUMBER:
        return _runs(
            toks,
            lambda i: _is_numeric(toks[i]) or (i > 0 and toks[i].norm in _SCALE_WORDS),
            wordset("and to or"),
        )
    if kind is AnswerType.DATE:
        return _runs(
            toks,
            lambda i: _is_date(toks[i]) or (toks[i].norm[:1].isdigit() and len(toks[i].norm) <= 4),
            wordset("of and to or"),
        )
    if kind in _NAMES:
        return _runs(toks, lambda i: _is_capital(toks[i], i == 0), CONNECTORS | {"the", "and"})
    return _phrases(toks)


def _phrases(toks: list[Token]) -> list[tuple[int, int]]:
    """Stretches between punctuation: the clauses a free-form answer is cut from."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i, tok in enumerate([*toks, Token(0, 0, ",", ",")]):
        if tok.text in _BREAK or not tok.text[:1].isalnum():
            if i > start:
                runs.append((start, i))
            start = i + 1
    return runs


def best_span(
    sentence: str,
    keys: frozenset[str],
    kind: AnswerType,
    counted: str | None = None,
    units: tuple[Unit, ...] = (),
) -> Span | None:
    """The candidate of the expected kind nearest to the question's words in the sentence.

    With `counted` ("how many turbines"), a number counts only if the noun follows it closely
    ("six underwater turbines"); with `units` ("how far"), only if it is in one of them, and
    the span takes the unit along ("800 metres").
    """
    toks = tokens(sentence)
    if not toks:
        return None
    matched = [i for i, t in enumerate(toks) if t.key in keys]
    runs = typed_runs(toks, kind)
    if counted is not None:
        key = Token(0, 0, counted, counted).key
        runs = [(i, j) for i, j in runs if any(t.key == key for t in toks[j : j + COUNTED_GAP])]
    measured: list[tuple[int, int]] = []
    if units and kind is AnswerType.NUMBER:
        measured = _with_unit(toks, runs, units)
        runs = measured if measured or strict(units) else runs
    best: Span | None = None
    for i, j in runs:
        for a, b in [(i, j)] if measured else _trim(toks, i, j, keys, kind):
            span = _score(sentence, toks, a, b, matched, kind)
            if span is not None and (best is None or span.score > best.score):
                best = span
    return best


def _with_unit(
    toks: list[Token], runs: list[tuple[int, int]], units: tuple[Unit, ...]
) -> list[tuple[int, int]]:
    """The number runs that carry one of `units`, each stretched over its unit word."""
    norms = [t.norm for t in toks]
    texts = [t.text for t in toks]
    out = []
    for i, j in runs:
        end = unit_end(norms, texts, i, j, units)
        if end is not None:
            out.append((i, end))
    return out


def _trim(
    toks: list[Token], i: int, j: int, keys: frozenset[str], kind: AnswerType
) -> list[tuple[int, int]]:
    """The run without the question's own words; a phrase splits where they occur."""
    pieces: list[tuple[int, int]] = []
    start = i
    for k in range(i, j + 1):
        if k == j or toks[k].key in keys:
            if k > start:
                pieces.append((start, k))
            start = k + 1
    out = []
    for a, b in pieces:
        while a < b and toks[a].norm in STOPWORDS and kind is AnswerType.ANY:
            a += 1
        while a < b and (toks[b - 1].norm in STOPWORDS or toks[b - 1].norm in CONNECTORS):
            b -= 1
        if a < b:
            out.append((a, b))
    return out


def _score(
    sentence: str, toks: list[Token], a: int, b: int, matched: list[int], kind: AnswerType
) -> Span | None:
    length = b - a
    if kind is AnswerType.ANY and length > MAX_PHRASE_WORDS:
        b = a + MAX_PHRASE_WORDS
        length = MAX_PHRASE_WORDS
    distance = min((min(abs(m - a), abs(m - (b - 1))) for m in matched), default=len(toks))
    score = 1.0 / (1.0 + distance)
    if kind not in _NAMES and not _follows_question_words(a, b, matched):
        score *= LEADING_SPAN  # "who" answers are as often the subject, before the verb
    if kind is AnswerType.PLACE and a > 0 and toks[a - 1].norm in _LOCATIVE:
        score *= LOCATED  # "a fellow on China at Chatham House": where is "at ..."
    if kind is AnswerType.ANY:
        score *= 1.0 if 2 <= length <= 5 else 0.6
        if all(t.norm in STOPWORDS for t in toks[a:b]):
            return None
    return Span(toks[a].start, toks[b - 1].end, sentence[toks[a].start : toks[b - 1].end], score)


def _follows_question_words(a: int, b: int, matched: list[int]) -> bool:
    """Is the nearest question word before the span ("X is <span>") rather than after it?"""
    before = min((a - m for m in matched if m < a), default=None)
    after = min((m - b + 1 for m in matched if m >= b), default=None)
    return before is not None and (after is None or before <= after)


def has_type(
    sentence: str,
    keys: frozenset[str],
    kind: AnswerType,
    counted: str | None = None,
    units: tuple[Unit, ...] = (),
) -> bool:
    """Does the sentence hold a candidate of the expected kind that is not the question's?"""
    if kind is AnswerType.ANY:
        return True
    return best_span(sentence, keys, kind, counted, units) is not None
