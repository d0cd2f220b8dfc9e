"""Splitting rendered mrkdwn and Block Kit payloads to fit Slack's limits.

Slack rejects oversized blocks and messages instead of truncating them, and a long article's
summary or answer can exceed them. Cuts are made where a reader would not notice: between
paragraphs, then lines, then sentences, then words. A word, a Slack entity (`&amp;`, `<url|text>`),
a block-quote line and a list item are never cut unless it alone is longer than the limit (then
its pieces keep the `>` quote marker, and a cut code block is closed and reopened).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from bot.slack.render.limits import (
    CONTEXT_ELEMENTS,
    CONTEXT_TEXT_CHARS,
    HEADER_TEXT_CHARS,
    MARKDOWN_TEXT_CHARS,
    MESSAGE_BLOCKS,
    MESSAGE_TEXT_CHARS,
    SECTION_TEXT_CHARS,
)

# How good a cut just before a piece is; higher is better.
_NEVER, _HARD, _WORD, _SENTENCE, _IN_ITEM, _LINE, _PARAGRAPH = -1, 0, 1, 2, 3, 4, 5
MIN_LIMIT = 40
_FENCE = "```"

# An atom: a word with any Slack entity glued to it (`<url|two words>` holds spaces).
_TOKEN = re.compile(r"(?:<[^<>\n]*>|[^\s<])+|<")
_MARKER = re.compile(r"^(?:>|[•◦▪☐☑-]|\d{1,9}\.)$")
_ITEM = re.compile(r"^\s*(?:[•◦▪☐☑-]|\d{1,9}\.)\s")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]*_~]*$")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")


@dataclass
class _Piece:
    text: str
    sep: str  # the whitespace before it in the source
    rank: int  # how good a cut just before it is
    line_start: bool = True
    indent: str = ""  # the line's indentation, kept when a chunk starts with this line
    prefix: str = ""  # "> " on a block-quote line: repeated when a chunk starts mid-line
    code: bool = False  # inside a code block (content or closing fence)
    closes: bool = False  # the closing fence


def _line_pieces(line: str, newlines: int, first: bool, rank: int) -> list[_Piece]:
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(line)]
    if len(tokens) > 1 and _MARKER.match(line[tokens[0][0] : tokens[0][1]]):
        tokens[0:2] = [(tokens[0][0], tokens[1][1])]  # never leave a lone "•" or ">"
    indent = line[: tokens[0][0]]
    prefix = "> " if line.lstrip().startswith(">") else ""
    pieces = [
        _Piece(
            line[tokens[0][0] : tokens[0][1]],
            "" if first else "\n" * newlines + indent,
            rank,
            indent=indent,
            prefix=prefix,
        )
    ]
    for (_, prev_end), (start, end) in pairwise(tokens):
        rank = _SENTENCE if _SENTENCE_END.search(pieces[-1].text) else _WORD
        sep = line[prev_end:start]
        pieces.append(_Piece(line[start:end], sep, rank, line_start=False, prefix=prefix))
    return pieces


def _pieces(text: str) -> list[_Piece]:
    """Tokenise rendered mrkdwn into atoms, each knowing how good a cut before it is."""
    pieces: list[_Piece] = []
    newlines = 0
    in_code = after_open = in_item = False
    for line in text.split("\n"):
        stripped = line.strip()
        if in_code:
            closes = stripped.startswith(_FENCE)
            rank = _NEVER if after_open or closes else _IN_ITEM
            pieces.append(_Piece(line, "\n", rank, code=True, closes=closes))
            in_code, after_open, newlines = not closes, False, 1
            continue
        if not stripped:
            newlines += 1
            continue
        structural = _PARAGRAPH if newlines >= 2 else _LINE
        if stripped.startswith(_FENCE) and not (len(stripped) > 3 and stripped.endswith(_FENCE)):
            sep = "\n" * newlines if pieces else ""
            pieces.append(_Piece(line, sep, structural))
            in_code, after_open, in_item, newlines = True, True, False, 1
            continue
        is_item = _ITEM.match(line) is not None
        continuation = not is_item and in_item and newlines == 1 and line[:1].isspace()
        rank = _IN_ITEM if continuation else structural
        pieces += _line_pieces(line, newlines, not pieces, rank)
        in_item, newlines = is_item or continuation, 1
    return pieces


def _safe_cut(text: str, size: int) -> int:
    """Largest cut <= size that is not inside an entity (`&amp;`) or a `<...>` Slack link."""
    cut = size
    for match in _ENTITY.finditer(text, max(0, size - 12), size + 12):
        if match.start() < cut < match.end():
            cut = match.start()
    opening = text.rfind("<", 0, cut)
    if opening > 0 and text.find(">", opening) >= cut:
        cut = opening
    return cut if cut > 0 else size


def hard_cut(text: str, size: int) -> list[str]:
    """Cut one unbreakable string (a huge URL or word) into pieces of at most `size`."""
    out: list[str] = []
    while len(text) > size:
        cut = _safe_cut(text, size)
        out.append(text[:cut])
        text = text[cut:]
    return [*out, text] if text else out


def _overhead(piece: _Piece) -> int:
    return len(piece.indent) + len(piece.prefix) + (2 * (len(_FENCE) + 1) if piece.code else 0)


def _harden(pieces: list[_Piece], limit: int) -> list[_Piece]:
    """Split atoms that cannot fit a chunk even alone (last resort)."""
    out: list[_Piece] = []
    for piece in pieces:
        room = limit - _overhead(piece)
        if len(piece.text) <= room:
            out.append(piece)
            continue
        first, *rest = hard_cut(piece.text, max(room, 1))
        out.append(replace(piece, text=first))
        out += [replace(piece, text=t, sep="", rank=_HARD, line_start=False) for t in rest]
    return out


def _head(piece: _Piece) -> str:
    lead = piece.indent if piece.line_start else piece.prefix
    return (_FENCE + "\n" if piece.code else "") + lead + piece.text


def _tail(piece: _Piece) -> str:
    return "\n" + _FENCE if piece.code and not piece.closes else ""


def _render(pieces: list[_Piece], start: int, end: int) -> str:
    body = "".join(p.sep + p.text for p in pieces[start + 1 : end])
    return _head(pieces[start]) + body + _tail(pieces[end - 1])


def _best_end(pieces: list[_Piece], start: int, limit: int) -> int:
    """Where the chunk starting at `start` should end: the best-ranked feasible cut."""
    size = len(_head(pieces[start]))
    candidates: list[tuple[int, int, int]] = []  # (rank, chunk size, end)
    end = start + 1
    while True:
        total = size + len(_tail(pieces[end - 1]))
        if total <= limit:
            if end == len(pieces):
                return end
            candidates.append((pieces[end].rank, total, end))
        if end == len(pieces):
            break
        size += len(pieces[end].sep) + len(pieces[end].text)
        if size > limit:
            break
        end += 1
    if not candidates:
        return start + 1
    best = max(rank for rank, _, _ in candidates)
    if best >= _LINE:
        # Prefer a paragraph break unless it would leave the chunk less than half full.
        paragraphs = [e for r, s, e in candidates if r == _PARAGRAPH and s >= limit // 2]
        if paragraphs:
            return paragraphs[-1]
        return [e for r, _, e in candidates if r >= _LINE][-1]
    return [e for r, _, e in candidates if r == best][-1]


def split_text(text: str, limit: int) -> list[str]:
    """Split rendered mrkdwn into chunks of at most `limit` characters, cutting where it reads best.

    Joining the chunks with the whitespace that was dropped between them gives back the text,
    except that a chunk starting mid-quote gets its own `> ` and a cut code block is closed with
    and reopened by a fence.
    """
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT} characters")
    body = text.strip("\n").rstrip()
    if not body.strip():
        return []
    # Leading blank lines are kept (room is made for them in the first chunk): a tail appended
    # to a streamed message needs its separation from the text before it.
    lead = text[: len(text) - len(text.lstrip("\n"))][: limit - MIN_LIMIT]
    if len(lead) + len(body) <= limit:
        return [lead + body]
    pieces = _harden(_pieces(body), limit - len(lead))
    chunks: list[str] = []
    start = 0
    while start < len(pieces):
        room = limit - len(lead) if start == 0 else limit
        end = _best_end(pieces, start, room)
        chunks.append(_render(pieces, start, end))
        start = end
    return [lead + chunks[0], *chunks[1:]]


def truncate_text(text: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten escaped text to `limit` characters at a word boundary, never inside an entity."""
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    cut = _safe_cut(text, room)
    space = text.rfind(" ", 0, cut + 1)
    if space > room // 2:
        cut = space
    return text[:cut].rstrip() + ellipsis


# Block Kit --------------------------------------------------------------------------------------


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def block_chars(block: dict[str, Any]) -> int:
    """All the text a block carries (what counts towards a message's size)."""
    return sum(len(t) for t in _texts(block))


def _with_text(block: dict[str, Any], text: str, n: int) -> dict[str, Any]:
    copy = deepcopy(block)
    copy["text"]["text"] = text
    if n and "block_id" in copy:
        copy["block_id"] = f"{copy['block_id']}-{n + 1}"
    return copy


def _split_context(block: dict[str, Any]) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    for element in block.get("elements", []):
        text = element.get("text")
        if isinstance(text, str) and len(text) > CONTEXT_TEXT_CHARS:
            elements += [{**element, "text": part} for part in split_text(text, CONTEXT_TEXT_CHARS)]
        else:
            elements.append(element)
    groups = [elements[i : i + CONTEXT_ELEMENTS] for i in range(0, len(elements), CONTEXT_ELEMENTS)]
    out = []
    for n, group in enumerate(groups):
        copy = {**block, "elements": group}
        if n and "block_id" in copy:
            copy["block_id"] = f"{copy['block_id']}-{n + 1}"
        out.append(copy)
    return out


def fit_block(block: dict[str, Any]) -> list[dict[str, Any]]:
    """One block made valid: long sections split, headers truncated, crowded contexts split."""
    kind = block.get("type")
    text = block.get("text", {}).get("text") if isinstance(block.get("text"), dict) else None
    if kind == "section" and text is not None and len(text) > SECTION_TEXT_CHARS:
        return [_with_text(block, t, n) for n, t in enumerate(split_text(text, SECTION_TEXT_CHARS))]
    if kind == "header" and text is not None and len(text) > HEADER_TEXT_CHARS:
        return [_with_text(block, truncate_text(text, HEADER_TEXT_CHARS), 0)]
    if kind == "markdown" and isinstance(block.get("text"), str):
        parts = split_text(block["text"], MARKDOWN_TEXT_CHARS)
        return [{**block, "text": part} for part in parts]
    if kind == "context":
        return _split_context(block)
    return [block]


def _markdown_chars(block: dict[str, Any]) -> int:
    return len(block["text"]) if block.get("type") == "markdown" else 0


def pack_blocks(
    blocks: Iterable[dict[str, Any]],
    *,
    max_blocks: int = MESSAGE_BLOCKS,
    max_chars: int = MESSAGE_TEXT_CHARS,
    max_markdown: int = MARKDOWN_TEXT_CHARS,
) -> list[list[dict[str, Any]]]:
    """Group blocks into messages within Slack's per-message limits, in order.

    Oversized blocks are fitted first (`fit_block`). A header is never left as the last block
    of a message: it moves to the next one with the content it introduces.
    """
    messages: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    for block in (b for original in blocks for b in fit_block(original)):
        full = current and (
            len(current) >= max_blocks
            or sum(map(block_chars, current)) + block_chars(block) > max_chars
            or sum(map(_markdown_chars, current)) + _markdown_chars(block) > max_markdown
        )
        if full:
            carry = [current.pop()] if len(current) > 1 and current[-1]["type"] == "header" else []
            messages.append(current)
            current = carry
        current.append(block)
    if current:
        messages.append(current)
    return messages
