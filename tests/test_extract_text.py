"""Plain text, Markdown and pasted text, and `extract_document`'s dispatch by content type."""

from __future__ import annotations

import pytest

from bot.errors import PASTE_HINT, NoArticleText, UnsupportedContent
from bot.ingest.extract import extract_document, extract_text
from tests.shared_data import SAMPLE_ARTICLE

SENTENCES = [
    "The council voted seven to two on Tuesday night to approve the tidal energy pilot.",
    "Six turbines will sit on the seabed about eight hundred metres off Gannet Point.",
    "The fishermen's association says it will ask the regulator to review the licence.",
    "Construction is expected to begin in September once the review is complete.",
]


def test_sample_markdown_article() -> None:
    article = extract_text(SAMPLE_ARTICLE.read_text("utf-8"), kind="markdown")
    assert article.title == (
        "Port Ellery council approves tidal energy pilot despite fishing fleet's objections"
    )
    assert article.author == "Marta Lindqvist"
    assert article.site_name == "Harbour Gazette"
    assert article.published == "2026-03-14"
    assert article.source_kind == "markdown"
    # 15 blocks in the file: the heading is the title and the byline is metadata.
    assert len(article.paragraphs) == 13
    assert article.paragraphs[0].startswith("The Port Ellery town council voted 7 to 2")
    assert article.paragraphs[-1].endswith('"and then we\'ll see who was right."')
    assert not any(p.startswith(("#", "*")) for p in article.paragraphs)


def test_markdown_inline_markup_is_stripped() -> None:
    source = "\n".join(
        [
            "# Tidal pilot approved",
            "",
            "The **council** voted *seven* to _two_ on ~~Monday~~ Tuesday, said "
            '[the mayor](https://example.org/mayor "Mayor") in `session 12`.',
            "",
            "![Turbine diagram](turbine.png)",
            "",
            "Six turbines will sit off Gannet Point, according to the [plan][p], and the "
            "snake_case_name stays as it is; a literal \\*star\\* too.",
            "",
            "[p]: https://example.org/plan",
            "",
            "Read the notes at <https://example.org/notes> before the hearing starts again.",
        ]
    )
    article = extract_text(source, kind="markdown")
    assert article.title == "Tidal pilot approved"
    assert article.paragraphs == (
        "The council voted seven to two on Monday Tuesday, said the mayor in session 12.",
        "Six turbines will sit off Gannet Point, according to the plan, and the "
        "snake_case_name stays as it is; a literal *star* too.",
        "Read the notes at https://example.org/notes before the hearing starts again.",
    )


def test_markdown_blocks_lists_quotes_code_tables() -> None:
    source = "\n".join(
        [
            "Tidal pilot approved",
            "====================",
            "",
            SENTENCES[0],
            "",
            "## What happens next",
            "",
            "- Licence review by the regulator,",
            "  which may take months.",
            "* Seabed survey in the summer.",
            "1. Construction in September.",
            "",
            "> The Narrows are big enough for both,",
            "> if we plan it together.",
            "",
            "```python",
            "turbines = 6",
            "```",
            "",
            "| Year | Turbines |",
            "|------|----------|",
            "| 2026 | 6 |",
            "",
            "---",
            "",
            SENTENCES[1] + " " + SENTENCES[2],
        ]
    )
    article = extract_text(source, kind="markdown")
    assert article.title == "Tidal pilot approved"
    assert article.paragraphs == (
        SENTENCES[0],
        "What happens next",
        "Licence review by the regulator, which may take months.",
        "Seabed survey in the summer.",
        "Construction in September.",
        "The Narrows are big enough for both, if we plan it together.",
        "turbines = 6",
        "Year | Turbines",
        "2026 | 6",
        SENTENCES[1] + " " + SENTENCES[2],
    )


def test_plain_text_paragraphs_and_hard_wraps() -> None:
    text = (
        "The council voted seven to two on Tuesday night\n"
        "to approve the tidal energy pilot.\n\n" + "\n\n".join(SENTENCES[1:]) + "\n\n"
    )
    article = extract_text(text * 2, kind="text", url="https://example.org/a.txt")
    assert article.title is None  # the first line is a hard wrap, not a headline
    assert article.paragraphs[0] == SENTENCES[0]
    assert len(article.paragraphs) == 8
    assert article.url == "https://example.org/a.txt"
    assert article.source_kind == "text"


def test_pasted_text_title_detected() -> None:
    text = "Council approves tidal pilot\n\n" + "\n\n".join(SENTENCES * 2)
    article = extract_text(text, kind="pasted")
    assert article.title == "Council approves tidal pilot"
    assert article.paragraphs[0] == SENTENCES[0]
    assert article.source_kind == "pasted"


def test_pasted_text_first_sentence_is_not_a_title() -> None:
    text = "\n\n".join(SENTENCES * 2)
    article = extract_text(text, kind="pasted")
    assert article.title is None
    assert article.paragraphs == tuple(SENTENCES * 2)


def test_pasted_from_a_web_page_single_newlines_split_long_lines() -> None:
    long_paragraphs = [" ".join(SENTENCES[i : i + 2]) for i in range(3)]
    text = "Council approves tidal pilot\n" + "\n".join(long_paragraphs)
    article = extract_text(text, kind="pasted")
    assert article.title == "Council approves tidal pilot"
    assert article.paragraphs == tuple(long_paragraphs)


def test_explicit_title_wins_and_byline_parsed_in_plain_text() -> None:
    text = "By Jane Doe, Reuters | Nov. 5, 2019\n\n" + "\n\n".join(SENTENCES * 2)
    article = extract_text(text, kind="text", title="Given title")
    assert article.title == "Given title"
    assert (article.author, article.site_name, article.published) == (
        "Jane Doe",
        "Reuters",
        "2019-11-05",
    )
    assert article.paragraphs[0] == SENTENCES[0]


def test_sentence_starting_with_by_is_not_a_byline() -> None:
    text = "\n\n".join(["By Tuesday the council had voted to approve the pilot.", *SENTENCES])
    article = extract_text(text, kind="text")
    assert article.author is None
    assert article.paragraphs[0] == "By Tuesday the council had voted to approve the pilot."


def test_short_pasted_text_rejected_without_suggesting_to_paste() -> None:
    with pytest.raises(NoArticleText) as caught:
        extract_text("Just a line of text.", kind="pasted")
    assert "too short" in str(caught.value)
    assert PASTE_HINT not in str(caught.value)


def test_short_text_file_rejected_with_paste_hint() -> None:
    with pytest.raises(NoArticleText) as caught:
        extract_text("# Title\n\nOnly a few words here.", kind="markdown")
    assert PASTE_HINT in str(caught.value)


def test_control_characters_in_text_are_unsupported() -> None:
    junk = "".join(chr(i % 32) for i in range(2000))
    with pytest.raises(UnsupportedContent):
        extract_text(junk, kind="pasted")


# extract_document: dispatch by content type


def test_document_markdown_by_mime_and_by_url() -> None:
    body = SAMPLE_ARTICLE.read_bytes()
    by_mime = extract_document(body, "text/markdown; charset=utf-8")
    by_url = extract_document(body, "text/plain", url="https://example.org/story.md?x=1")
    assert by_mime.source_kind == by_url.source_kind == "markdown"
    assert by_mime.paragraphs == by_url.paragraphs
    assert by_url.title is not None and by_url.title.startswith("Port Ellery")


def test_document_plain_text_with_declared_charset() -> None:
    text = "Café in Zürich.\n\n" + "\n\n".join(SENTENCES * 2)
    article = extract_document(text.encode("latin-1"), "text/plain; charset=ISO-8859-1")
    assert article.source_kind == "text"
    assert article.paragraphs[0] == "Café in Zürich."


def test_document_utf16_with_bom() -> None:
    text = "\n\n".join(SENTENCES * 2)
    article = extract_document(text.encode("utf-16"), "text/plain")
    assert article.paragraphs == tuple(SENTENCES * 2)


def test_document_html_sniffed_from_octet_stream() -> None:
    html = "<html><body><article>" + "".join(f"<p>{s}</p>" for s in SENTENCES * 2)
    article = extract_document((html + "</article></body></html>").encode(), "")
    assert article.source_kind == "html"


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x01\x02binary\x00" * 200,
        bytes(range(128, 256)) * 50 + b"\x00",
    ],
)
def test_document_binary_declared_as_text_is_unsupported(body: bytes) -> None:
    with pytest.raises(UnsupportedContent):
        extract_document(body, "text/plain")


def test_document_invalid_utf8_in_bulk_is_unsupported() -> None:
    body = bytes((i * 37 + 11) % 256 for i in range(5000)).replace(b"\x00", b"\x01")
    with pytest.raises(UnsupportedContent):
        extract_document(body, "text/plain; charset=utf-8")


def test_document_unsupported_type() -> None:
    with pytest.raises(UnsupportedContent) as caught:
        extract_document(b"\x89PNG\r\n\x1a\n....", "image/png")
    assert "image/png" in str(caught.value)


def test_pasted_markdown_keeps_its_first_paragraph() -> None:
    text = "# Council approves tidal pilot\n\nShort intro line\n\n" + "\n\n".join(SENTENCES * 2)
    article = extract_text(text, kind="pasted")
    assert article.title == "Council approves tidal pilot"
    assert article.paragraphs[0] == "Short intro line"
    assert article.source_kind == "pasted"
