"""Markdown to plain paragraphs: enough of CommonMark for articles, not a renderer.

Block structure decides paragraphs (blank lines, headings, list items, quotes, fences, table
rows); inline markup is removed so that quotes the model copies match the text people read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n(?:---|\.\.\.)\s*(?:\n|\Z)", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:\s*[\"']?(.*?)[\"']?\s*$", re.MULTILINE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS_STAR = re.compile(r"\*(?=\S)(.+?)(?<=\S)\*")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


def inline_to_text(text: str) -> str:
    """Remove inline Markdown (emphasis, links, images, code spans, tags) keeping the words."""
    protected: list[str] = []

    def protect(match: re.Match[str]) -> str:
        protected.append(match.group(2).strip())
        return f"\x00{len(protected) - 1}\x00"

    text = _CODE_SPAN.sub(protect, text)  # code spans are literal: no markup inside them
    text = _ESCAPE.sub(lambda m: f"\x01{ord(m.group(1))}\x01", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    for pattern in (_STRONG, _STRIKE):
        text = pattern.sub(lambda m: m.group(m.lastindex or 0), text)
    text = _EMPHASIS_STAR.sub(r"\1", text)
    text = _EMPHASIS_UNDERSCORE.sub(r"\1", text)
    text = re.sub(r"\x01(\d+)\x01", lambda m: chr(int(m.group(1))), text)
    return re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], text)


@dataclass
class MarkdownDoc:
    """Paragraph texts in order, and the first level-1 heading (the title), if any."""

    paragraphs: list[str] = field(default_factory=list)
    title: str | None = None


class _Builder:
    def __init__(self) -> None:
        self.doc = MarkdownDoc()
        self.lines: list[str] = []

    def flush(self) -> None:
        if self.lines:
            self.add(" ".join(self.lines))
            self.lines = []

    def add(self, text: str) -> None:
        text = " ".join(inline_to_text(text).split())
        if text:
            self.doc.paragraphs.append(text)

    def heading(self, level: int, text: str) -> None:
        self.flush()
        if level == 1 and self.doc.title is None and not self.doc.paragraphs:
            self.doc.title = " ".join(inline_to_text(text).split()) or None
        else:
            self.add(text)


def parse_markdown(source: str) -> MarkdownDoc:
    """Split Markdown into plain-text paragraphs; the leading `# Heading` becomes the title."""
    source = _HTML_COMMENT.sub("", source.replace("\r\n", "\n").replace("\r", "\n"))
    front_title = None
    front = _FRONT_MATTER.match(source)
    if front:
        match = _FRONT_TITLE.search(front.group(1))
        front_title = match.group(1).strip() if match else None
        source = source[front.end() :]
    builder = _Builder()
    fence: str | None = None
    code: list[str] = []
    for line in source.split("\n"):
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
                builder.doc.paragraphs.extend(_code_paragraphs(code))
                code = []
            else:
                code.append(line)
            continue
        opening = _FENCE.match(line)
        if opening:
            builder.flush()
            fence = opening.group(1)
            continue
        _parse_line(builder, line)
    builder.doc.paragraphs.extend(_code_paragraphs(code))  # an unclosed fence runs to the end
    builder.flush()
    if builder.doc.title is None and front_title:
        builder.doc.title = front_title
    return builder.doc


def _code_paragraphs(lines: list[str]) -> list[str]:
    """A code block's text, split on blank lines like prose (a paragraph is one line of text)."""
    text = "\n".join(lines)
    return [" ".join(b.split()) for b in re.split(r"\n\s*\n", text) if b.strip()]


def _parse_line(builder: _Builder, line: str) -> None:
    setext = _SETEXT.match(line)
    if setext and builder.lines:
        text, builder.lines = " ".join(builder.lines), []
        builder.heading(1 if setext.group(1).startswith("=") else 2, text)
        return
    if not line.strip() or _RULE.match(line) or _REF_DEFINITION.match(line):
        builder.flush()
        return
    atx = _ATX.match(line)
    if atx:
        builder.heading(len(atx.group(1)), atx.group(2))
        return
    while _QUOTE.match(line):
        line = _QUOTE.sub("", line, count=1)
    if not line.strip():
        builder.flush()
        return
    if _TABLE_SEPARATOR.match(line):
        return
    if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
        builder.flush()
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        builder.add(" | ".join(c for c in cells if c))
        return
    item = _ITEM.match(line)
    if item:
        builder.flush()
        builder.lines.append(line[item.end() :])
        return
    builder.lines.append(line.strip())
