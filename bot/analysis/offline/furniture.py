"""Recognise page furniture: the paragraphs of an extracted article that are not its story.

Extracted web articles keep headlines, image alt text, photo captions and credits, bylines,
date lines and "related story" teasers (a headline plus its date) between real paragraphs. The
offline engine must not lead its summary with a photo caption nor quote a teaser for another
story, so every stage asks this module which paragraphs to skip.
"""

from __future__ import annotations

import re

from bot.analysis.text import word_count
from bot.domain.article import Article

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day,?"
_DATE_LINE = re.compile(
    rf"^(?:(?:updated|published|posted)\s*:?\s*)?(?:{_WEEKDAY}\s+)?(?:"
    rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})"
    r"(?:,?\s+\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s+[a-z]{2,4})?)?\.?$",
    re.IGNORECASE,
)
_CREDIT_WORDS = re.compile(
    r"\b(?:photo|photograph|photographer|getty images|credit|illustration|associated press|"
    r"reuters|afp|pool|via|courtesy|image|file photo)\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\W*(?:by|written by|words by|von|par|por)\s+\w", re.IGNORECASE)
_CAPTION_CUE = re.compile(r",\s+(?:left|right|center|centre|top|bottom)\s*,|\(pictured\)", re.I)
_TEASER_PREFIX = re.compile(
    r"^\W*(?:read more|related|more from|see also|advertisement|sign up|subscribe|click here|"
    r"watch|listen|share this|recommended)\b",
    re.IGNORECASE,
)
_TERMINAL = tuple(".!?\"'”’»)…:")
# A dateline opening a story: "MOSCOW — ", "LONDON (Reuters) - ".
DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{1,40}(?:\([^)]{1,40}\))?\s*[—–-]{1,2}\s+(?=\S)")


def is_date_line(text: str) -> bool:
    return word_count(text) <= 8 and _DATE_LINE.match(text.strip()) is not None


def is_credit(text: str) -> bool:
    """A photo credit: "(Anton Novoderezhkin / Kremlin Pool Photo)", "Photo: AP"."""
    stripped = text.strip()
    if word_count(stripped) > 15:
        return False
    if stripped.startswith("(") and stripped.endswith(")"):
        return True
    return _CREDIT_WORDS.search(stripped) is not None and not stripped.endswith((".", "!", "?"))


def is_byline(text: str) -> bool:
    return word_count(text) <= 15 and _BYLINE.match(text) is not None


def is_headline_like(text: str) -> bool:
    """A short line without terminal punctuation: a headline, subheading or image alt text."""
    stripped = text.strip()
    return word_count(stripped) <= 20 and not stripped.endswith(_TERMINAL)


def furniture(article: Article) -> frozenset[int]:
    """1-based numbers of the paragraphs that are not the story itself."""
    paras = article.paragraphs
    title = (article.title or "").strip().casefold()
    skip: set[int] = set()
    for i, text in enumerate(paras):
        if (
            is_date_line(text)
            or is_credit(text)
            or is_byline(text)
            or is_headline_like(text)
            or (title and text.strip().casefold() == title)
            or (word_count(text) <= 15 and _TEASER_PREFIX.match(text) is not None)
        ):
            skip.add(i + 1)
    for i, text in enumerate(paras[:-1]):
        after = paras[i + 1]
        words = word_count(text)
        if is_credit(after) and words <= 60:
            skip.add(i + 1)  # the caption above a credit
        elif is_date_line(after) and words <= 45:
            skip.add(i + 1)  # a related-story teaser: its headline, then its date
        elif words <= 40 and _CAPTION_CUE.search(text) and i < 3:
            skip.add(i + 1)
    return frozenset(skip)


def strip_dateline(sentence: str) -> str:
    """The sentence without a leading "CITY — " dateline (a verbatim suffix of it)."""
    m = DATELINE.match(sentence)
    return sentence[m.end() :] if m else sentence
