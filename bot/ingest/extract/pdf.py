"""PDF to Article with pypdf: rebuild paragraphs from the lines a PDF gives us.

A PDF has no paragraphs, only positioned lines. pypdf's layout mode keeps vertical gaps (as
blank lines) and indents, our best paragraph signals; multi-column pages fall back to plain mode,
which follows the content stream column by column. Running headers/footers (lines repeating at
the top or bottom of most pages) and bare page numbers are dropped. A paragraph ends at a gap,
before a bullet or a first-line indent, and after a line that ends a sentence (or reads like a
heading) well short of the usual width; a hyphen at a line end followed by a lowercase word is
undone; anything else is a soft wrap.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from io import BytesIO
from typing import Literal

from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from bot.domain.article import Article, clean_paragraph
from bot.errors import NoArticleText, UnsupportedContent
from bot.ingest.extract.quality import check_words, effective_words

# A line shorter than this share of the document's usual line length can end a paragraph.
SHORT_LINE_RATIO = 0.8
# Lines among the first/last few of a page that repeat on this share of pages (and on at least
# MIN_PAGES_FOR_REPEATS pages) are running headers and footers.
EDGE_LINES = 3
REPEAT_SHARE = 0.5
MIN_PAGES_FOR_REPEATS = 3
TITLE_MAX_WORDS = 20
# Layout text where this share of lines holds two runs of COLUMN_MIN_CHARS+ characters
# separated by a wide gap is laid out in columns.
MULTICOLUMN_SHARE = 0.3
COLUMN_MIN_CHARS = 15
_COLUMN_GAP = re.compile(r" {6,}")

_PAGE_NUMBER = re.compile(
    r"^\W*(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,6})(?:\s*(?:of|/)\s*\d{1,4})?\W*$", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"[.!?:…]['\"’”)\]]*$")
_BULLET = re.compile(r"^(?:[•●▪◦‣∙·\-–*]|\d{1,3}[.)])\s+")
_HYPHENATED = re.compile(r"(\w)[-\u00ad]$")
_DIGITS = re.compile(r"\d+")
_JUNK_TITLES = re.compile(
    r"^(?:untitled|document\d*|microsoft word\b.*|.*\.(?:docx?|pdf|odt|tex))$", re.IGNORECASE
)

_PDF_ERRORS = (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError)
Line = tuple[str, int]  # (text, indentation in layout columns)

logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable PDFs warn a lot


def _open(body: bytes) -> PdfReader:
    if not body.lstrip()[:5].startswith(b"%PDF"):
        raise UnsupportedContent("This file is not a readable PDF.", paste_hint=True)
    try:
        reader = PdfReader(BytesIO(body))
        if reader.is_encrypted and not reader.decrypt(""):
            raise NoArticleText(
                "This PDF is password-protected, so I can't read it.", paste_hint=True
            )
        _ = len(reader.pages)
    except _PDF_ERRORS as err:
        raise UnsupportedContent("This PDF is damaged and can't be read.", paste_hint=True) from err
    return reader


def _is_multicolumn(lines: list[str]) -> bool:
    """Layout text with two runs of prose side by side on many lines: columns (or tables)."""
    nonblank = [line for line in lines if line.strip()]
    side_by_side = sum(
        1
        for line in nonblank
        if sum(len(part) >= COLUMN_MIN_CHARS for part in _COLUMN_GAP.split(line.strip())) >= 2
    )
    return bool(nonblank) and side_by_side >= MULTICOLUMN_SHARE * len(nonblank)


def _extract(page: PageObject, mode: Literal["plain", "layout"] = "plain") -> str:
    try:
        return page.extract_text(extraction_mode=mode) or ""
    except _PDF_ERRORS:
        return ""  # one broken page should not cost the whole document


def _page_lines(page: PageObject) -> list[Line]:
    """Lines of one page with their indentation; blank lines mark vertical gaps.

    pypdf's layout mode keeps gaps and indents (our best paragraph signals) but interleaves
    columns, so multi-column pages use the plain mode, which follows the content stream.
    """
    raw = _extract(page, "layout").split("\n")
    if _is_multicolumn(raw):
        raw = _extract(page).split("\n")
    lines = [(clean_paragraph(line), len(line) - len(line.lstrip(" "))) for line in raw]
    while lines and not lines[0][0]:
        lines.pop(0)
    while lines and not lines[-1][0]:
        lines.pop()
    return lines


def _furniture(pages: list[list[Line]]) -> set[str]:
    """Digit-normalised lines that repeat at the top or bottom of most pages."""
    nonblank = [[text for text, _ in page if text] for page in pages]
    nonblank = [page for page in nonblank if page]
    if len(nonblank) < MIN_PAGES_FOR_REPEATS:
        return set()
    counts: Counter[str] = Counter()
    for page in nonblank:
        counts.update({_DIGITS.sub("#", line) for line in page[:EDGE_LINES] + page[-EDGE_LINES:]})
    needed = max(MIN_PAGES_FOR_REPEATS, REPEAT_SHARE * len(nonblank))
    return {line for line, n in counts.items() if n >= needed}


def _body_lines(pages: list[list[Line]]) -> list[Line]:
    """All body lines in order, without running headers/footers and page numbers; a blank
    line ("", 0) marks a paragraph break."""
    furniture = _furniture(pages)
    lines: list[Line] = []
    for page in pages:
        kept = [
            (text, indent)
            for text, indent in page
            if not text or not (_PAGE_NUMBER.match(text) or _DIGITS.sub("#", text) in furniture)
        ]
        while kept and not kept[-1][0]:
            kept.pop()  # the gap above a dropped footer is not a paragraph break
        while kept and not kept[0][0]:
            kept.pop(0)
        lines.extend(kept)
        if kept and _SENTENCE_END.search(kept[-1][0]):
            # A page that ends a sentence ends the paragraph too: at worst we split one
            # paragraph between sentences, never a sentence.
            lines.append(("", 0))
    return lines


def _usual(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[int(len(ordered) * share)] if ordered else 0


@dataclass(frozen=True)
class _Layout:
    """What a usual body line looks like on these pages."""

    short: float  # a line shorter than this stops well short of the usual width
    margin: int  # the usual left indent

    @classmethod
    def of(cls, lines: list[Line]) -> _Layout:
        body = [(text, indent) for text, indent in lines if len(text.split()) >= 4]
        short = SHORT_LINE_RATIO * _usual([len(text) for text, _ in body], 0.8)
        return cls(short=short, margin=_usual([indent for _, indent in body], 0.2))


def _join_line(current: str, line: str) -> str:
    """Append a wrapped line, undoing end-of-line hyphenation before a lowercase word."""
    hyphen = _HYPHENATED.search(current)
    if hyphen and line[:1].islower():
        return current[: hyphen.end() - 1] + line
    return f"{current} {line}" if current else line


def rebuild_paragraphs(lines: list[Line]) -> list[str]:
    """Join hard-wrapped lines into paragraphs, undoing end-of-line hyphenation.

    A paragraph ends at a blank line (a vertical gap), before a bullet or a first-line indent,
    and after a line that ends a sentence or reads like a heading well short of the usual width.
    """
    layout = _Layout.of(lines)
    paragraphs: list[str] = []
    current = ""
    previous_indent = layout.margin
    previous_ended = True
    for i, (line, indent) in enumerate(lines):
        if not line:
            paragraphs.append(current)
            current, previous_ended = "", True
            continue
        ends_sentence = bool(_SENTENCE_END.search(line))
        # a first-line indent, unless it is the hanging indent of a bullet's second line
        indented = indent > layout.margin + 1 and previous_indent <= layout.margin + 1
        indented = indented and not _BULLET.match(current)
        heading_start = previous_ended and not ends_sentence and len(line) < layout.short
        if current and (_BULLET.match(line) or indented or heading_start):
            paragraphs.append(current)
            current = ""
        previous_indent, previous_ended = indent, ends_sentence
        current = _join_line(current, line)
        following = lines[i + 1][0][:1] if i + 1 < len(lines) else ""
        if _ends_paragraph(line, ends_sentence, following, layout):
            paragraphs.append(current)
            current = ""
    paragraphs.append(current)
    return [p for p in (clean_paragraph(p) for p in paragraphs) if p]


def _ends_paragraph(line: str, ends_sentence: bool, following: str, layout: _Layout) -> bool:
    """A short line that ends a sentence, or a short heading before a capital or a number."""
    if len(line) >= layout.short:
        return False
    return ends_sentence or following.isupper() or following.isdigit()


def _metadata(reader: PdfReader, key: str) -> str:
    """A document-information string, "" when absent or unreadable."""
    try:
        metadata = reader.metadata
        value = metadata.get(key) if metadata is not None else None
    except _PDF_ERRORS:
        return ""
    return clean_paragraph(str(value or ""))


def _title(meta_title: str, paragraphs: list[str]) -> tuple[str | None, list[str]]:
    """Metadata title unless it is a placeholder, else a short first line (then not a paragraph)."""
    if meta_title and not _JUNK_TITLES.match(meta_title):
        if paragraphs and paragraphs[0].casefold() == meta_title.casefold():
            paragraphs = paragraphs[1:]
        return meta_title, paragraphs
    first = paragraphs[0] if len(paragraphs) > 1 else ""
    if first and len(first.split()) <= TITLE_MAX_WORDS and not _SENTENCE_END.search(first):
        return first, paragraphs[1:]
    return None, paragraphs


def extract_pdf(body: bytes, *, url: str | None = None) -> Article:
    """Article from a PDF's text layer; NoArticleText for scans and near-empty documents."""
    reader = _open(body)
    lines = _body_lines([_page_lines(page) for page in reader.pages])
    if not lines:
        raise NoArticleText("This PDF has no selectable text (it may be a scan).", paste_hint=True)
    title, paragraphs = _title(_metadata(reader, "/Title"), rebuild_paragraphs(lines))
    check_words(effective_words("\n".join(paragraphs)))
    author = _metadata(reader, "/Author") or None
    return Article.build(paragraphs, title=title, url=url, author=author, source_kind="pdf")
