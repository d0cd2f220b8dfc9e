"""Bytes to text: honour what the server and the page say, then guess, and refuse binary data.

Order follows what browsers do: a byte-order mark wins, then the charset the server declared,
then a `<meta charset>` in the page (HTML only), then UTF-8, then statistical detection. Labels
like "iso-8859-1" mean windows-1252 on the web (WHATWG Encoding), so we decode them that way.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from bot.errors import UnsupportedContent

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# WHATWG: these labels are decoded as windows-1252 by every browser.
_WEB_ALIASES = {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252"}
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
_SNIFF_BYTES = 4096
# Share of control characters / replacement marks above which decoded "text" is binary junk.
# Real text has almost none; random bytes decoded as windows-1252 have about 12%.
MAX_CONTROL_SHARE = 0.02
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")


def _codec(label: str | None) -> str | None:
    """Python codec name for a charset label, or None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _WEB_ALIASES.get(name, name)


def _try(data: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        if codec == "cp1252":  # five bytes are undefined in cp1252; latin-1 maps them all
            return data.decode("latin-1")
        return None


def meta_charset(data: bytes) -> str | None:
    """The charset a page declares in `<meta charset>` / `http-equiv` within its first bytes."""
    match = _META_CHARSET.search(data[:_SNIFF_BYTES])
    return match.group(1).decode("ascii") if match else None


def _binary(message: str) -> UnsupportedContent:
    return UnsupportedContent(message, paste_hint=True)


def decode_bytes(data: bytes, *, declared: str | None = None, html: bool = False) -> str:
    """Decode downloaded text, raising `UnsupportedContent` when it is really binary data."""
    text: str | None = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _try(data, codec)
            break
    if text is None and b"\x00" in data[:_SNIFF_BYTES]:
        raise _binary("This file contains binary data, not text.")
    candidates = [_codec(declared)]
    if html:
        candidates.append(_codec(meta_charset(data)))
    candidates.append("utf-8")
    for candidate in candidates:
        if text is None:
            text = _try(data, candidate)
    if text is None:
        best = from_bytes(data[:65536]).best()
        text = _try(data, _codec(best.encoding)) if best is not None else None
    if text is None:
        raise _binary("This file is not readable text (unknown character encoding).")
    ensure_textual(text)
    return text


def ensure_textual(text: str) -> None:
    """Reject decoded text that is mostly control characters: binary data declared as text."""
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > MAX_CONTROL_SHARE * len(sample):
        raise _binary("This file looks like binary data, not text.")
