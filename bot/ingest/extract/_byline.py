"""Bylines in plain text and Markdown: "By Name, Outlet — 14 March 2026".

Only a short paragraph that starts with "By" counts, so a sentence such as "By Tuesday the
council had voted" is never taken for one (it is too long or has no name-like parts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DATE = re.compile(
    rf"\b(?:(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})"
    rf"|(?P<dmy>\d{{1,2}}\s+(?:{_MONTHS})\.?\s+\d{{4}})"
    rf"|(?P<mdy>(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}))\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+(?P<rest>.+)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s+[—–|·•-]\s+|\s*[—–|·•]\s*")
MAX_BYLINE_WORDS = 20
_NAME = re.compile(r"^[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von|der|da|la|le|bin))*$")


@dataclass(frozen=True)
class Byline:
    author: str
    site_name: str | None = None
    published: str | None = None


def _parse_date(text: str) -> str:
    """ISO date (YYYY-MM-DD) when the text is a date we can read, else the text as written."""
    cleaned = re.sub(r"[.,]", " ", text)
    cleaned = " ".join(cleaned.split())
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y"):
        try:
            return datetime.strptime(cleaned.replace("Sept ", "Sep "), fmt).date().isoformat()
        except ValueError:
            continue
    return text


def parse_byline(paragraph: str) -> Byline | None:
    """The author, outlet and date of a byline paragraph, or None if it is not one."""
    text = paragraph.strip().strip("*_ ").strip()
    match = _BYLINE.match(text)
    if match is None or len(text.split()) > MAX_BYLINE_WORDS:
        return None
    rest = match.group("rest").strip().rstrip(".")
    published = None
    found = _DATE.search(rest)
    if found:
        published = _parse_date(found.group(0))
        rest = (rest[: found.start()] + rest[found.end() :]).strip(" ,—–|·•-")
    parts = [p.strip(" ,") for p in _SEPARATORS.split(rest) if p.strip(" ,")]
    if not parts:
        return None
    author, _, outlet = parts[0].partition(",")
    author = author.strip()
    site = outlet.strip() or (parts[1] if len(parts) > 1 else "")
    if not _NAME.match(author):
        return None
    return Byline(author=author, site_name=site or None, published=published)
