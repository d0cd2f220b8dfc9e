"""Text helpers shared by quote matching, retrieval and the offline engine.

They live in one place so that every stage agrees on what "the same text" means: the quote
verifier, the BM25 indexes and the sentence splitter must normalise, tokenise and cut sentences
identically, or a sentence the offline engine quotes could fail the verifier.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_EN


def wordset(text: str) -> frozenset[str]:
    """A word list written as one whitespace-separated string (readable for long lists)."""
    return frozenset(text.split())


def wordlist(text: str) -> list[str]:
    return text.split()


# Typographic variants that models and articles swap freely: curly vs straight quotes, the many
# dashes, the one-character ellipsis. Applied after NFKC (which already turns … into "...").
_PUNCT_TABLE = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "‹": "'",
        "›": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "…": "...",
    }
)

WORD_RE = re.compile(r"\w+")
# Scripts written without spaces: a \w+ run there is a whole phrase, so we index character
# bigrams instead (the usual language-agnostic choice for CJK retrieval).
_NO_SPACE_SCRIPT = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]+"
)

# English function words plus a few question words; optional: only used to down-weight.
STOPWORDS: frozenset[str] = frozenset(STOPWORDS_EN) | wordset(
    """about after again all also am any because been before being between both can could did
    do does doing done during each from further had has have having he her here hers him his
    how i its itself just me more most my nor now off once only other our ours out over own
    same she should so some than them those through too under until up very we were what when
    where which while who whom why would you your yours s t d ll m re ve said says"""
)


# Words that frame a question rather than name its topic ("What did she *say* about...").
QUESTION_WORDS: frozenset[str] = wordset(
    """say tell told much many describe described explain explained happen happened happens
    mean means think thought kind type sort article story mention mentioned mentions talk
    talked discuss discussed according give given know known way ways main"""
)


@lru_cache(maxsize=8192)
def _normalize_chunk(chunk: str) -> str:
    out = unicodedata.normalize("NFKC", chunk).translate(_PUNCT_TABLE).casefold()
    return " " if out.isspace() else out


def _chunks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each base character plus the combining marks that follow it."""
    spans: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        if spans and unicodedata.combining(ch):
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans


def normalize_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """Normalise `text` for matching and map every output character back to the input.

    Returns (normalised, starts, ends): normalised[i] comes from text[starts[i]:ends[i]], so a
    normalised span [a, b) is the original span [starts[a], ends[b - 1]).
    """
    identity = list(range(len(text))), list(range(1, len(text) + 1))
    if (
        text.isascii()
        and text == text.strip()
        and "  " not in text
        and not any(c in text for c in "\t\n\r\f\v`")
    ):
        # Fast path (most English articles): only the case changes, offsets are the identity.
        return text.lower(), *identity
    pieces = {c: _normalize_chunk(c) for c in set(text)}
    if all(len(p) == 1 and not unicodedata.combining(c) for c, p in pieces.items()):
        # Every character maps to one character (curly quotes, dashes, accents...): translate
        # in C, and keep the identity map unless whitespace has to be collapsed.
        table: dict[str, str | int | None] = dict(pieces)
        translated = text.translate(str.maketrans(table))
        if translated == translated.strip() and "  " not in translated:
            return translated, *identity
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end in _chunks(text):
        piece = _normalize_chunk(text[start:end])
        if piece == " " and (not out or out[-1] == " "):
            continue  # collapse runs of whitespace, drop leading whitespace
        out.extend(piece)
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
    while out and out[-1] == " ":
        out.pop()
        starts.pop()
        ends.pop()
    return "".join(out), starts, ends


def is_dense_script(char: str) -> bool:
    """CJK/Thai: scripts without spaces, where any character boundary may be a word boundary."""
    return _NO_SPACE_SCRIPT.match(char) is not None


def normalize(text: str) -> str:
    """Normalised text only (see `normalize_with_offsets`)."""
    if text.isascii():
        return " ".join(text.lower().replace("`", "'").split())
    return normalize_with_offsets(text)[0]


def words(text: str) -> list[str]:
    """Word tokens of already-normalised text."""
    return WORD_RE.findall(text)


def word_count(text: str) -> int:
    """Words, counting a run of CJK/Thai characters as one word per two characters (a
    rough but script-neutral measure, so "at least three words" means the same everywhere)."""
    tokens = WORD_RE.findall(text)
    if text.isascii() or not _NO_SPACE_SCRIPT.search(text):
        return len(tokens)
    count = 0
    for token in tokens:
        dense = sum(len(run) for run in _NO_SPACE_SCRIPT.findall(token))
        count += (dense + 1) // 2 + (1 if len(token) > dense else 0)
    return count


def tokenize(text: str, *, stopwords: frozenset[str] = frozenset()) -> list[str]:
    """Index terms: normalised word tokens, with character bigrams for CJK/Thai runs."""
    terms: list[str] = []
    for token in WORD_RE.findall(normalize(text)):
        if token in stopwords:
            continue
        if _NO_SPACE_SCRIPT.search(token):
            terms.extend(_split_no_space(token))
        else:
            terms.append(token)
    return terms


def _split_no_space(token: str) -> list[str]:
    out: list[str] = []
    pos = 0
    for m in _NO_SPACE_SCRIPT.finditer(token):
        if m.start() > pos:
            out.append(token[pos : m.start()])
        run = m.group()
        out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        pos = m.end()
    if pos < len(token):
        out.append(token[pos:])
    return out


# --- sentences ---------------------------------------------------------------------------------

# Words that end in a full stop without ending the sentence ("Dr. Shah", "Feb. 21").
ABBREVIATIONS = wordset(
    """mr mrs ms mx dr prof st jr sr gen sen rep gov lt col sgt capt cmdr adm mt ft vs
    jan feb mar apr jun jul aug sep sept oct nov dec inc ltd co corp dept est approx fig al
    e.g i.e cf vol pp"""
)
_BOUNDARY = re.compile(r"[.!?]+[\"'”’»)\]]*(?=\s)|[。！？]+[」』”’）)]*")
_OPENERS = "\"'“‘«(["


def sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in a paragraph; the spans are verbatim slices.

    A boundary is terminal punctuation (plus closing quotes/brackets) followed by a space and an
    upper-case letter, digit or opening quote; abbreviations and initials ("J.") do not end a
    sentence, nor do dotted acronyms ("U.S.") before a capitalised word. Full-width "。！？"
    always end one.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        end = m.end()
        nxt = end
        while nxt < len(paragraph) and paragraph[nxt].isspace():
            nxt += 1
        if nxt >= len(paragraph):
            break
        follower = paragraph[nxt]
        if follower in _OPENERS and nxt + 1 < len(paragraph):
            follower = paragraph[nxt + 1]
        full_width = m.group()[0] in "。！？"  # CJK: always a boundary, no space needed
        if not (full_width or follower.isupper() or follower.isdigit()):
            continue
        if m.group().startswith(".") and _is_abbreviation(paragraph, m.start()):
            continue
        sentence = paragraph[start:end].strip()
        if sentence:
            spans.append((start + _lead_space(paragraph[start:end]), end))
        start = nxt
    tail = paragraph[start:].strip()
    if tail:
        spans.append((start + _lead_space(paragraph[start:]), len(paragraph.rstrip())))
    return spans


def _lead_space(text: str) -> int:
    return len(text) - len(text.lstrip())


def _is_abbreviation(paragraph: str, dot: int) -> bool:
    """Is the word that ends at `dot` an abbreviation, an initial or a dotted acronym?"""
    begin = dot
    while begin > 0 and not paragraph[begin - 1].isspace() and paragraph[begin - 1] not in _OPENERS:
        begin -= 1
    word = paragraph[begin:dot]
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "Antony J. Blinken"
    if "." in word and all(len(part) <= 2 for part in word.split(".")):
        return True  # "U.S", "e.g"
    return word.lower() in ABBREVIATIONS


def split_sentences(paragraph: str) -> list[str]:
    return [paragraph[a:b] for a, b in sentence_spans(paragraph)]
