"""Verify quotes against the article: the product's promise that every quote is real.

A candidate quote (from the model or the offline engine) is accepted only when it is the
article's text: exactly, up to typography (case, curly quotes, dashes, ellipsis characters,
whitespace), or as a close fuzzy match (a typo, a dropped word). Whatever matched, the quote we
keep is the article's own span and the paragraph it really is in, so what users see is verbatim.

Rejected: fabricated text, paraphrases, quotes under three words (not evidence), quotes that run
across paragraphs, and near-misses that change a number or a negation ("40 jobs" vs "400 jobs",
"will" vs "will not"): those read as the same string to an edit distance but say something else.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from rapidfuzz import fuzz

from bot.analysis.models import Quote
from bot.analysis.text import (
    is_dense_script,
    normalize,
    normalize_with_offsets,
    word_count,
    words,
    wordset,
)
from bot.domain.article import Article

MIN_WORDS = 3
# fuzz.ratio (normalised Indel similarity, 0-100) between the candidate and the article span.
# A typo or a dropped short word scores 93-99; real paraphrases score well under 85.
FUZZY_THRESHOLD = 90.0
# The matched span may be at most this much shorter/longer than the candidate.
MIN_LENGTH_RATIO, MAX_LENGTH_RATIO = 0.8, 1.25
# An elided quote ("A ... B") is returned as one span when it is not much longer than the
# candidate and the omitted text does not leave the quotation (no quote marks in it, as in
# '..." Duarte said. "...'); otherwise as the parts joined by an ellipsis.
ELIDED_SPAN_SLACK = 1.5
ELLIPSIS = " … "

_EDGE_CHARS = " \"'.,;:!?-"
_BRACKETED_ELLIPSIS = re.compile(r"[\[(]\s*\.\.\.\s*[\])]")
_NEGATIONS = wordset(
    "not no never nor cannot none nobody nothing neither without t"
)  # "t" is what \w+ leaves of "can't", "don't"...
_TITLES = wordset(
    """president vice mr mrs ms mx miss dr doctor prof professor mayor sir dame lord lady rev
    reverend sen senator gov governor rep representative minister secretary chancellor judge
    justice gen general col colonel capt captain lt lieutenant sgt sergeant chair chairman
    chairwoman ceo king queen prince princess pope councillor councilor ambassador premier
    chief deputy foreign prime the"""
)


@dataclass(slots=True)
class _Paragraph:
    """A paragraph normalised once, with the map back to its original characters."""

    original: str
    norm: str
    starts: list[int]
    ends: list[int]
    word_starts: list[int] = field(default_factory=list)
    word_ends: list[int] = field(default_factory=list)
    vocabulary: frozenset[str] = frozenset()

    @classmethod
    def build(cls, text: str) -> _Paragraph:
        norm, starts, ends = normalize_with_offsets(text)
        para = cls(text, norm, starts, ends)
        for m in re.finditer(r"\w+", norm):
            para.word_starts.append(m.start())
            para.word_ends.append(m.end())
        para.vocabulary = frozenset(words(norm))
        return para

    def original_span(self, start: int, end: int) -> str:
        return self.original[self.starts[start] : self.ends[end - 1]]


def prepare_candidate(text: str) -> str:
    """Normalise a candidate and strip what models wrap quotes in (marks, end punctuation)."""
    cand = _BRACKETED_ELLIPSIS.sub("...", normalize(text))
    return cand.strip(_EDGE_CHARS)


def _same_facts(candidate: str, span: str) -> bool:
    """A fuzzy match must not change a number or a negation."""
    a, b = words(candidate), words(span)
    numbers_a = sorted(t for t in a if any(c.isdigit() for c in t))
    numbers_b = sorted(t for t in b if any(c.isdigit() for c in t))
    negs_a = sum(t in _NEGATIONS for t in a)
    negs_b = sum(t in _NEGATIONS for t in b)
    return numbers_a == numbers_b and negs_a == negs_b


class QuoteVerifier:
    """Matches candidate quotes against one article; build once per article, reuse per answer."""

    def __init__(self, article: Article) -> None:
        self.article = article
        self._paras = [_Paragraph.build(p) for p in article.paragraphs]
        # Paragraphs joined by "\n", which normalised text never contains, so an exact match can
        # never run across a paragraph break.
        self._joined = "\n".join(p.norm for p in self._paras)
        self._offsets: list[int] = []
        pos = 0
        for p in self._paras:
            self._offsets.append(pos)
            pos += len(p.norm) + 1

    # --- public -------------------------------------------------------------------------------

    def match(self, text: str, paragraph_hint: int | None = None) -> Quote | None:
        """The article's exact span for a candidate quote, or None if it is not in the article."""
        cand = prepare_candidate(text)
        if word_count(cand) < MIN_WORDS:
            return None
        hint = (
            paragraph_hint - 1
            if paragraph_hint and 0 < paragraph_hint <= len(self._paras)
            else None
        )
        hit = self._exact(cand, hint)  # first: an ellipsis may be the article's own text
        if hit is None and "..." in cand:
            return self._match_elided(cand, hint)
        if hit is None:
            hit = self._fuzzy(cand, hint)
        if hit is None:
            return None
        idx, start, end = hit
        return Quote(text=self._paras[idx].original_span(start, end), paragraph=idx + 1)

    def verify(self, candidates: Iterable[tuple[str, int | None]]) -> tuple[list[Quote], int]:
        """Verified quotes (article text, real paragraph, deduplicated) and how many failed.

        Duplicates, including a quote contained in another kept quote of the same paragraph,
        are merged silently: they are not counted as dropped, since nothing false was offered.
        """
        kept: list[Quote] = []
        keys: list[str] = []
        dropped = 0
        for text, hint in candidates:
            quote = self.match(text, hint)
            if quote is None:
                dropped += 1
                continue
            key = prepare_candidate(quote.text)
            duplicate = False
            for i, (old, old_key) in enumerate(zip(kept, keys, strict=True)):
                if old.paragraph != quote.paragraph:
                    continue
                if key in old_key:
                    duplicate = True
                    break
                if old_key in key:  # the new quote extends an old one: keep the longer
                    kept[i], keys[i] = quote, key
                    duplicate = True
                    break
            if not duplicate:
                kept.append(quote)
                keys.append(key)
        return kept, dropped

    def mentions(self, name: str) -> bool:
        """Does the article mention this actor?

        Rule, in order: (1) the full name occurs as whole words (after normalisation);
        (2) it occurs once leading titles are removed ("President Vladimir Putin" -> "vladimir
        putin", "Dr. Shah" -> "shah"); (3) for a name of two or more words, the first and the last
        word both occur in one paragraph ("Antony Blinken" for "Antony J. Blinken").
        """
        tokens = words(normalize(name))
        if tokens and tokens[-1] == "s" and len(tokens) > 1:
            tokens = tokens[:-1]  # possessive: "Tidewater Energy's"
        if not tokens:
            return False
        if self._has_phrase(tokens):
            return True
        core = list(tokens)
        while len(core) > 1 and core[0] in _TITLES:
            core.pop(0)
        if core != tokens and self._has_phrase(core):
            return True
        if len(core) < 2:
            return False
        first, last = _phrase_re([core[0]]), _phrase_re([core[-1]])
        return any(first.search(p.norm) and last.search(p.norm) for p in self._paras)

    # --- matching -------------------------------------------------------------------------------

    def _has_phrase(self, tokens: list[str]) -> bool:
        return _phrase_re(tokens).search(self._joined) is not None

    def _order(self, hint: int | None) -> list[int]:
        rest = [i for i in range(len(self._paras)) if i != hint]
        return rest if hint is None else [hint, *rest]

    def _exact(self, cand: str, hint: int | None) -> tuple[int, int, int] | None:
        first: tuple[int, int, int] | None = None
        pos = self._joined.find(cand)
        while pos != -1:
            end = pos + len(cand)
            if _bounded(self._joined, pos, end):
                idx = bisect_right(self._offsets, pos) - 1
                hit = (idx, pos - self._offsets[idx], end - self._offsets[idx])
                if hint is None or idx == hint:
                    return hit
                first = first or hit
            pos = self._joined.find(cand, pos + 1)
        return first

    def _fuzzy(self, cand: str, hint: int | None) -> tuple[int, int, int] | None:
        cand_words = set(words(cand))
        best: tuple[float, int, int, int] | None = None
        for idx in self._order(hint):
            para = self._paras[idx]
            if len(para.norm) < MIN_LENGTH_RATIO * len(cand):
                continue
            # Cheap prefilter: a near-verbatim quote shares most of its words with the paragraph.
            if len(cand_words & para.vocabulary) < 0.6 * len(cand_words):
                continue
            found = _fuzzy_in(para, cand, 0)
            if found is None:
                continue
            score, start, end = found
            if idx == hint:
                return idx, start, end
            if best is None or score > best[0]:
                best = (score, idx, start, end)
        return None if best is None else best[1:]

    def _match_elided(self, cand: str, hint: int | None) -> Quote | None:
        parts = [p.strip(_EDGE_CHARS) for p in cand.split("...")]
        parts = [p for p in parts if p]
        if not parts or max(word_count(p) for p in parts) < 2:
            return None
        if len(parts) == 1:
            return self.match(parts[0], None if hint is None else hint + 1)
        for idx in self._order(hint):
            para = self._paras[idx]
            spans: list[tuple[int, int]] = []
            pos = 0
            for part in parts:
                hit = _exact_in(para.norm, part, pos)
                if hit is None and word_count(part) >= MIN_WORDS:
                    found = _fuzzy_in(para, part, pos)
                    hit = None if found is None else found[1:]
                if hit is None:
                    break
                spans.append(hit)
                pos = hit[1]
            else:
                start, end = spans[0][0], spans[-1][1]
                gaps = "".join(para.norm[b:a] for (_, b), (a, _) in pairwise(spans))
                if end - start <= ELIDED_SPAN_SLACK * len(cand) + 20 and '"' not in gaps:
                    text = para.original_span(start, end)
                else:
                    text = ELLIPSIS.join(para.original_span(a, b) for a, b in spans)
                return Quote(text=text, paragraph=idx + 1)
        return None


def _phrase_re(tokens: list[str]) -> re.Pattern[str]:
    body = r"[^\w\n]+".join(re.escape(t) for t in tokens)
    return re.compile(rf"(?<!\w){body}(?!\w)")


def _bounded(text: str, start: int, end: int) -> bool:
    """The match starts and ends at word boundaries (no "he council" inside "the council");
    in scripts written without spaces (CJK, Thai) any character boundary will do."""

    def inside_word(left: str, right: str) -> bool:
        return (
            left.isalnum()
            and right.isalnum()
            and not (is_dense_script(left) or is_dense_script(right))
        )

    if start > 0 and inside_word(text[start - 1], text[start]):
        return False
    return not (end < len(text) and inside_word(text[end - 1], text[end]))


def _exact_in(text: str, part: str, pos: int) -> tuple[int, int] | None:
    start = text.find(part, pos)
    while start != -1:
        if _bounded(text, start, start + len(part)):
            return start, start + len(part)
        start = text.find(part, start + 1)
    return None


def _fuzzy_in(para: _Paragraph, cand: str, lo: int) -> tuple[float, int, int] | None:
    """Best near-verbatim span for `cand` in the paragraph at or after `lo`: (score, start, end).

    partial_ratio_alignment finds the window of the candidate's length that matches best; the
    true span may be a little longer or shorter (a dropped or extra word), so we then try word
    boundaries around that window and keep the span with the best full ratio.
    """
    region = para.norm[lo:]
    if len(region) < MIN_LENGTH_RATIO * len(cand):
        return None
    align = fuzz.partial_ratio_alignment(cand, region, score_cutoff=FUZZY_THRESHOLD - 5)
    if align is None:
        return None
    slack = max(8, len(cand) // 4)
    a0, b0 = lo + align.dest_start, lo + align.dest_end
    starts = _near(para.word_starts, a0, slack, lo)
    ends = _near(para.word_ends, b0, slack, lo)
    best: tuple[float, int, int] | None = None
    for start in starts:
        for end in ends:
            length = end - start
            if not MIN_LENGTH_RATIO * len(cand) <= length <= MAX_LENGTH_RATIO * len(cand):
                continue
            score = fuzz.ratio(cand, para.norm[start:end], score_cutoff=FUZZY_THRESHOLD)
            if score and (best is None or score > best[0]):
                best = (score, start, end)
    if best is None or not _same_facts(cand, para.norm[best[1] : best[2]]):
        return None
    return best


def _near(positions: list[int], target: int, slack: int, lo: int) -> list[int]:
    left = bisect_left(positions, max(lo, target - slack))
    right = bisect_right(positions, target + slack)
    return positions[left:right]
