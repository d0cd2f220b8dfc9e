"""What a body is, from its first bytes: for servers that send no type or "octet-stream",
uploads without a useful name, and stdin. One sniffer for the fetcher, the loader and the
extractors, so they never disagree about the same bytes.
"""

from __future__ import annotations

import codecs

# How much of a body is looked at.
SNIFF_BYTES = 1024

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"\x1aE\xdf\xa3", "video/webm"),
)


def sniff_type(head: bytes, complete: bool) -> str:
    """Guess a mime type from the first bytes when the server did not say (or said octet-stream).

    `complete` says `head` is the whole body, so a multi-byte character cut at the end of the
    sample is not mistaken for invalid UTF-8.
    """
    if head.lstrip()[:4].upper() == b"%PDF":  # readers accept whitespace before the header
        return "application/pdf"
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=complete)
    except UnicodeDecodeError:
        return "application/octet-stream"
    if "\x00" in text:
        return "application/octet-stream"
    start = text.lstrip().lower()
    if (
        start.startswith(("<!doctype html", "<html"))
        or "<html" in start[:1024]
        or ("<body" in start[:512])
    ):
        return "text/html"
    return "text/plain"
