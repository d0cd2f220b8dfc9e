"""Downloaded bytes to an `Article`: HTML, PDF, plain text and Markdown.

`extract_document` picks the extractor from the Content-Type (what the server says), falling
back on the bytes themselves for the vague types servers send for files (octet-stream).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.domain.article import Article
from bot.errors import UnsupportedContent
from bot.ingest.extract._decode import decode_bytes
from bot.ingest.extract.html import extract_html
from bot.ingest.extract.pdf import extract_pdf
from bot.ingest.extract.plain_text import extract_text
from bot.ingest.sniff import SNIFF_BYTES, sniff_type

__all__ = ["extract_document", "extract_html", "extract_pdf", "extract_text"]

_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_MARKDOWN_TYPES = {"text/markdown", "text/x-markdown"}
_VAGUE_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")


def _parse_content_type(content_type: str) -> tuple[str, str | None]:
    """("text/html", "utf-8") from "text/html; charset=UTF-8"."""
    mime, *params = (part.strip() for part in (content_type or "").split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return mime.lower(), charset


def _is_markdown_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").path.lower().endswith(_MARKDOWN_SUFFIXES)


def extract_document(
    body: bytes, content_type: str, *, url: str | None = None, charset: str | None = None
) -> Article:
    """Dispatch on the MIME type; raises UnsupportedContent for anything we cannot read."""
    mime, declared = _parse_content_type(content_type)
    charset = charset or declared
    if mime in _VAGUE_TYPES:
        sniffed = sniff_type(body[:SNIFF_BYTES], len(body) <= SNIFF_BYTES)
        if sniffed in _HTML_TYPES or sniffed == "application/pdf":
            mime = sniffed
    if mime in _HTML_TYPES:
        return extract_html(body, url=url, charset=charset)
    if mime == "application/pdf":
        return extract_pdf(body, url=url)
    if mime in _MARKDOWN_TYPES or (mime == "text/plain" and _is_markdown_url(url)):
        return extract_text(decode_bytes(body, declared=charset), kind="markdown", url=url)
    if mime == "text/plain":
        return extract_text(decode_bytes(body, declared=charset), kind="text", url=url)
    shown = mime or "unknown"
    raise UnsupportedContent(f"I can't read this kind of file ({shown}).", paste_hint=True)
