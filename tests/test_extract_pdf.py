"""PDF extraction on PDFs written by hand here: paragraphs, furniture, titles, failures."""

from __future__ import annotations

import io
import textwrap

import pytest
from pypdf import PdfReader, PdfWriter

from bot.errors import PASTE_HINT, NoArticleText, UnsupportedContent
from bot.ingest.extract import extract_document, extract_pdf

Line = tuple[float, float, float, str]  # x, y, font size, text

PARAGRAPHS = [
    "The Port Ellery town council voted seven to two on Tuesday night to approve a two-year "
    "tidal energy pilot in the Ellery Narrows, ending eight months of public hearings that "
    "split the harbour town between those who see a new industry and those who fear for an "
    "old one.",
    "The pilot, proposed by the developer Tidewater Energy, will place six underwater "
    "turbines on the seabed about eight hundred metres off Gannet Point. Together they are "
    "expected to generate up to twelve megawatts at peak flow, enough for nine thousand homes.",
    "Mayor Helen Okafor called the decision the most important thing this council has done "
    "in a generation. She said the project would bring forty permanent jobs to the town and "
    "an extraordinary community fund paid by the developer for as long as the turbines run.",
    "Not everyone in the packed council chamber agreed. The chair of the fishermen's "
    "association said the turbines would close some of the richest crab and lobster grounds "
    "on the coast for at least two seasons of construction, and promised to appeal.",
]


def build_pdf(pages: list[list[Line]], info: dict[str, str] | None = None) -> bytes:
    """A minimal valid PDF: Helvetica text at the given positions, optional document info."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    tree = add(b"")  # the page tree, written once the pages exist
    kids = []
    for lines in pages:
        ops = []
        for x, y, size, text in lines:
            escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"BT /F1 {size} Tf {x} {y} Td ({escaped}) Tj ET")
        stream = "\n".join(ops).encode("cp1252")
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (tree, font, content)
            )
        )
    refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % tree)
    trailer = b"/Size %d /Root %d 0 R" % (len(objects) + 1 + bool(info), catalog)
    if info:
        entries = b" ".join(b"/%s (%s)" % (k.encode(), v.encode("cp1252")) for k, v in info.items())
        trailer += b" /Info %d 0 R" % add(b"<< %s >>" % entries)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


def typeset(
    paragraphs: list[str],
    *,
    header: str | None = None,
    footer: str | None = None,
    per_page: int = 2,
    width: int = 80,
    hyphenate: dict[str, tuple[str, str]] | None = None,
) -> list[list[Line]]:
    """Lay paragraphs out as wrapped lines with a gap between paragraphs, `per_page` a page."""
    pages: list[list[Line]] = []
    chunks = [paragraphs[i : i + per_page] for i in range(0, len(paragraphs), per_page)]
    for number, chunk in enumerate(chunks, 1):
        lines: list[Line] = []
        if header:
            lines.append((72, 760, 9, header))
        y = 720.0
        for para in chunk:
            for word, (left, right) in (hyphenate or {}).items():
                para = para.replace(word, f"{left}-\n{right}")
            for piece in para.split("\n"):
                for text in textwrap.wrap(piece, width):
                    lines.append((72, y, 11, text))
                    y -= 14
            y -= 14
        if footer:
            lines.append((280, 40, 9, footer.format(page=number, pages=len(chunks))))
        pages.append(lines)
    return pages


def test_paragraphs_rebuilt_across_pages_without_furniture() -> None:
    pages = typeset(
        PARAGRAPHS,
        per_page=1,
        header="Harbour Gazette - Special report",
        footer="Page {page} of {pages}",
        hyphenate={"extraordinary": ("extra", "ordinary")},
    )
    info = {"Title": "Council approves tidal pilot", "Author": "Marta Lindqvist"}
    article = extract_pdf(build_pdf(pages, info), url="https://example.org/report.pdf")
    assert article.paragraphs == tuple(PARAGRAPHS)
    assert article.title == "Council approves tidal pilot"
    assert article.author == "Marta Lindqvist"
    assert article.url == "https://example.org/report.pdf"
    assert article.source_kind == "pdf"


def test_bare_page_numbers_dropped_and_paragraph_continues_over_page_break() -> None:
    first, second = PARAGRAPHS[0], PARAGRAPHS[1]
    lines = textwrap.wrap(first, 80)
    page_one = [(72, 720 - 14 * i, 11, t) for i, t in enumerate(lines[:2])] + [(300, 40, 9, "1")]
    rest = [*lines[2:], "", *textwrap.wrap(second, 80)]
    page_two = [(72, 720 - 14 * i, 11, t) for i, t in enumerate(rest) if t] + [(300, 40, 9, "2")]
    article = extract_pdf(build_pdf([page_one, page_two]))
    assert article.paragraphs == (first, second)


def test_title_from_first_line_when_metadata_has_none() -> None:
    pages = typeset(PARAGRAPHS)
    pages[0].insert(0, (72, 750, 16, "Council approves tidal pilot"))
    article = extract_pdf(build_pdf(pages, {"Title": "Microsoft Word - draft3.docx"}))
    assert article.title == "Council approves tidal pilot"
    assert article.paragraphs == tuple(PARAGRAPHS)


def test_headings_and_bullets_are_their_own_paragraphs() -> None:
    lines = [
        (72, 720, 11, "The council approved the pilot after eight months of public hearings in"),
        (72, 706, 11, "the harbour town, and the developer now has to meet three conditions."),
        (72, 678, 14, "Conditions"),
        (72, 650, 11, "• A navigation channel of two hundred metres stays open throughout."),
        (72, 636, 11, "• Acoustic monitors stop the turbines when porpoises come close to"),
        (84, 622, 11, "the blades, and the data is published every month."),
    ]
    article = extract_pdf(build_pdf([lines]))
    assert article.paragraphs == (
        "The council approved the pilot after eight months of public hearings in the harbour "
        "town, and the developer now has to meet three conditions.",
        "Conditions",
        "• A navigation channel of two hundred metres stays open throughout.",
        "• Acoustic monitors stop the turbines when porpoises come close to the blades, and the "
        "data is published every month.",
    )


def test_owner_password_only_pdf_is_readable() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(build_pdf(typeset(PARAGRAPHS)))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert extract_pdf(buffer.getvalue()).paragraphs == tuple(PARAGRAPHS)


def test_password_protected_pdf_rejected() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(build_pdf(typeset(PARAGRAPHS)))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(NoArticleText) as caught:
        extract_pdf(buffer.getvalue())
    assert "password" in str(caught.value)


def test_scanned_pdf_without_text_rejected() -> None:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_blank_page(612, 792)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(NoArticleText) as caught:
        extract_pdf(buffer.getvalue())
    assert "no selectable text" in str(caught.value)
    assert PASTE_HINT in str(caught.value)


def test_pdf_with_too_little_text_rejected() -> None:
    with pytest.raises(NoArticleText):
        extract_pdf(build_pdf([[(72, 720, 11, "Scanned by the office copier.")]]))


@pytest.mark.parametrize(
    "body",
    [
        b"this is not a pdf at all",
        b"%PDF-1.7\n" + bytes(range(256)) * 20,
        build_pdf(typeset(PARAGRAPHS))[:300],
    ],
)
def test_garbage_and_truncated_pdf_unsupported(body: bytes) -> None:
    with pytest.raises(UnsupportedContent):
        extract_pdf(body)


def test_document_dispatch_pdf_by_mime_and_by_magic() -> None:
    body = build_pdf(typeset(PARAGRAPHS))
    assert extract_document(body, "application/pdf").paragraphs == tuple(PARAGRAPHS)
    assert extract_document(body, "application/octet-stream").source_kind == "pdf"


def test_two_column_page_reads_column_by_column() -> None:
    left, right = PARAGRAPHS[0], PARAGRAPHS[1]
    lines: list[Line] = []
    for x, para in ((50, left), (320, right)):
        for i, text in enumerate(textwrap.wrap(para, 45)):
            lines.append((x, 720 - 14 * i, 10, text))
    article = extract_pdf(build_pdf([lines]))
    assert article.paragraphs == (left, right)
