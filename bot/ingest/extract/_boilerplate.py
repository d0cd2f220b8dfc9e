"""Page furniture trafilatura leaves in the main text: link teasers, share prompts, labels.

Each rule was kept only because it raised F1 on the extraction benchmark (bench/extraction.py)
without removing ground-truth paragraphs that carry content. Rules match whole short paragraphs
only, so an article sentence that merely mentions "related" or "advertisement" stays.
"""

from __future__ import annotations

import re

# A paragraph that is nothing but one of these labels.
_LABEL = re.compile(
    r"^(?:advertisement|comments?|tags|share(?: this(?: article| story)?)?|read more|more|also"
    r"|related(?: articles| stories)?|you may also like|don't miss|tell us what you think"
    r"|most read(?: in [\w ]+)?|like this story\? share it with a friend!?)[\s:.!…]*$",
    re.IGNORECASE,
)
# A short paragraph starting like a link teaser ("Read more: ...", "Also on example.com ...").
_TEASER = re.compile(
    r"^(?:read more|see more|related(?: post| article| story)?|also on [\w.]+|also read"
    r"|don't miss)\b\s*:?",
    re.IGNORECASE,
)
_TEASER_MAX_WORDS = 25
_TOKEN = re.compile(r"\w+")


def _norm(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


def is_furniture(paragraph: str) -> bool:
    if _LABEL.match(paragraph):
        return True
    return len(paragraph.split()) <= _TEASER_MAX_WORDS and bool(_TEASER.match(paragraph))


def strip_furniture(paragraphs: list[str], title: str | None) -> list[str]:
    """Drop furniture paragraphs, and a leading paragraph that just repeats the title."""
    kept = [p for p in paragraphs if not is_furniture(p)]
    if kept and title and _repeats_title(kept[0], title):
        kept = kept[1:]
    return kept


def _repeats_title(paragraph: str, title: str) -> bool:
    """The headline again, or the headline part of a "Section | Headline" style title."""
    para, full = _norm(paragraph), _norm(title)
    if not para:
        return False
    return para == full or full.endswith(" " + para) or full.startswith(para + " ")
