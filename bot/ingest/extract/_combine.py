"""Complete trafilatura's result with whole sections that the fallback extractor found.

In precision mode trafilatura sometimes keeps only the first of several article-body blocks
(pages that split the story around ads or embeds). When the fallback's text contains nearly all
of trafilatura's and adds a substantial amount of *prose* (long paragraphs ending a sentence),
those paragraphs are a missing section, not furniture: we insert them where the fallback had
them. Stray extras (a bio line, a newsletter prompt) stay out: they are short or too few.
"""

from __future__ import annotations

import re
from collections import Counter

# The fallback must contain this share of trafilatura's 4-gram shingles: same article.
MIN_AGREEMENT = 0.9
# Extra paragraphs must be this long, end like a sentence and be mostly new text...
PROSE_MIN_WORDS = 30
MAX_KNOWN_SHARE = 0.5
# ...and together add this share of words, in at least this many paragraphs.
MIN_ADDED_SHARE = 0.3
MIN_ADDED_PARAGRAPHS = 2

_TOKEN = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…\"”’)\]]$")


def shingles(text: str, n: int = 4) -> Counter[str]:
    """Counts of n-grams of word tokens (the extraction benchmark's unit of comparison)."""
    tokens = _TOKEN.findall(text)
    return Counter(" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def coverage(part: Counter[str], whole: Counter[str]) -> float:
    """Share of `part`'s shingles that also occur in `whole`."""
    total = sum(part.values())
    return sum((part & whole).values()) / total if total else 0.0


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def add_missing_sections(main: list[str], fallback: list[str]) -> list[str]:
    """`main` with the fallback's missing prose sections inserted in page order."""
    if not main or not fallback:
        return main
    main_shingles = shingles("\n".join(main))
    if coverage(main_shingles, shingles("\n".join(fallback))) < MIN_AGREEMENT:
        return main
    index = {p: i for i, p in enumerate(main)}
    after: dict[int, list[str]] = {}
    last = -1
    added: list[str] = []
    for para in fallback:
        if para in index:
            last = index[para]
            continue
        if len(para.split()) < PROSE_MIN_WORDS or not _SENTENCE_END.search(para):
            continue
        if coverage(shingles(para), main_shingles) > MAX_KNOWN_SHARE:
            continue
        after.setdefault(last, []).append(para)
        added.append(para)
    if len(added) < MIN_ADDED_PARAGRAPHS or _words(added) < MIN_ADDED_SHARE * _words(main):
        return main
    merged = list(after.get(-1, []))
    for i, para in enumerate(main):
        merged.append(para)
        merged.extend(after.get(i, []))
    return merged
