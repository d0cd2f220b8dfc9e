"""Standard Markdown (what models write) -> Slack mrkdwn, in code rather than in the prompt.

Models drift from any formatting instruction, and the same converter also runs on partial text
(the `chat.update` streaming mode re-renders the answer so far every second), so it is a forgiving
line-by-line converter rather than a full Markdown parser: any input gives well-formed mrkdwn,
unclosed constructs are closed or dropped, and nothing is ever raised.

Safety: every character of the input is escaped (`escape.py`) before our markup is added, and
links are only real links when their URL is in `allowed_links`; every other URL is defanged so
Slack cannot linkify it. Code is kept verbatim apart from `&`, `<`, `>` (and the invisible ping
breaker): Slack neither formats nor linkifies inside code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import quote

from bot.ingest.urls import normalize_url
from bot.slack.render.escape import (
    URL_PATTERN,
    defang_url,
    escape_control,
    escape_markdown_literal,
    escape_text,
    neutralise_pings,
    strip_formatting,
    trim_url,
)

# Private-use characters mark spans (links, code) already rendered while the rest is converted;
# they are stripped from the input first so the input cannot forge them.
_OPEN, _CLOSE, _BOLD = "\ue000", "\ue001", "\ue002"
_PRIVATE = re.compile("[\ue000-\ue002]")
_SLOT = re.compile(f"{_OPEN}(\\d+){_CLOSE}")

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})(.*)$")
_HR = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_SETEXT = re.compile(r"^\s{0,3}=+\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,9})[.)]\s+(.*)$")
_TASK = re.compile(r"^\[([ xX])\]\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")

_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
# [label](url "title") and ![alt](url); the URL may hold balanced parentheses (Wikipedia).
_MD_LINK = re.compile(
    r"(!?)\[([^\]\n]*)\]"
    r"\(\s*<?([^()\s<>]+(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+\"[^\"\n]*\")?\s*\)"
)
# <url> autolinks, and Slack-style <url|label> a model may imitate.
_AUTOLINK = re.compile(
    r"<((?:[a-z][a-z0-9+.\-]{1,15}:|www\.)[^<>\s|]+)(?:\|([^<>\n]*))?>", re.IGNORECASE
)

_TRIPLE = re.compile(r"(?<![*\w])\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*(?![*\w])")
_STRONG_STAR = re.compile(r"(?<!\*)\*\*(?=[^\s*])(.+?)(?<=[^\s*])\*\*(?!\*)")
_STRONG_UNDER = re.compile(r"(?<![\w_])__(?=[^\s_])(.+?)(?<=[^\s_])__(?![\w_])")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
# A run of ** or ~~ touching a word, or ending the text, is an unclosed span (a stream cut in
# the middle of one); a run between spaces ("2 ** 3") is text.
_LEFTOVER = re.compile(r"(?:\*\*+|~~+)(?=[^\s*~])|(?<=[^\s*~])(?:\*\*+|~~+)|(?:\*\*+|~~+)(?=\s*$)")

_BULLETS = ("•", "◦", "▪")
_INDENT = "    "


def normalise_links(urls: Iterable[str]) -> frozenset[str]:
    """Comparable forms of the URLs we may link to (scheme/host case, tracking, trailing /)."""
    return frozenset(_link_key(u) for u in urls if u)


def _link_key(url: str) -> str:
    try:
        return normalize_url(url).rstrip("/")
    except ValueError:
        return url.strip()


def is_allowed(url: str, allowed: frozenset[str]) -> bool:
    """Only http(s) URLs we were told about become real links."""
    return url.lower().startswith(("http://", "https://")) and _link_key(url) in allowed


def slack_link(url: str, label: str = "") -> str:
    """Our own `<url|label>` markup: URL characters that would end the entity are %-encoded."""
    target = escape_control(quote(url, safe=":/?#[]@!$&'()*+,;=%~-._"))
    return f"<{target}|{escape_text(label)}>" if label else f"<{target}>"


def render_url(url: str, allowed: frozenset[str], label: str = "") -> str:
    """A URL as a real link (allowed) or defanged text; `label` kept in front of a defanged URL."""
    if is_allowed(url, allowed):
        return slack_link(url, label if label and label != url else "")
    shown = escape_text(defang_url(url))
    if not label or label.strip() == url:
        return shown
    return f"{_plain(label, allowed)} ({shown})"


def _map_urls(text: str, on_text: Callable[[str], str], on_url: Callable[[str], str]) -> str:
    """Render the URLs found in `text` with `on_url` and everything between with `on_text`."""
    out: list[str] = []
    pos = 0
    for match in URL_PATTERN.finditer(text):
        url = trim_url(match.group(0))
        if url:
            out += [on_text(text[pos : match.start()]), on_url(url)]
            pos = match.start() + len(url)
    out.append(on_text(text[pos:]))
    return "".join(out)


def _plain(text: str, allowed: frozenset[str]) -> str:
    """Escape text and turn bare URLs in it into links or defanged text; no Markdown."""
    return _map_urls(text, escape_text, lambda url: render_url(url, allowed))


def plain_to_mrkdwn(text: str, *, allowed_links: Iterable[str] = ()) -> str:
    """Verbatim text (article quotes, names, titles, our notices) made safe for mrkdwn."""
    return _plain(_PRIVATE.sub("", text), normalise_links(allowed_links))


def plain_to_markdown(text: str, *, allowed_links: Iterable[str] = ()) -> str:
    """Verbatim text for *standard* Markdown (Slack's streaming `markdown_text`).

    Nothing in it formats or links: Markdown punctuation is backslash-escaped and URLs are
    defanged, except allowed URLs, which we link ourselves.
    """
    allowed = normalise_links(allowed_links)

    def url_markdown(url: str) -> str:
        if not is_allowed(url, allowed):
            return escape_markdown_literal(defang_url(url))
        target = escape_control(quote(url, safe=":/?#[]@!$&'*+,;=%~-._"))
        return f"[{escape_markdown_literal(url)}]({target})"

    return _map_urls(text, escape_markdown_literal, url_markdown)


class _Inline:
    """Converts one line of inline Markdown; rendered spans wait in slots until the end."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed
        self.slots: list[str] = []

    def _slot(self, rendered: str) -> str:
        self.slots.append(rendered)
        return f"{_OPEN}{len(self.slots) - 1}{_CLOSE}"

    def convert(self, text: str) -> str:
        pieces: list[str] = []
        pos = 0
        for match in _CODE_SPAN.finditer(text):
            pieces.append(self._text(text[pos : match.start()]))
            code = match.group(2).strip() or match.group(2)
            pieces.append(self._slot(f"`{_code(code.replace('`', 'ˋ'))}`"))
            pos = match.end()
        pieces.append(self._text(text[pos:]))
        return _SLOT.sub(lambda m: self.slots[int(m.group(1))], "".join(pieces)).rstrip()

    def _text(self, text: str) -> str:
        text = _MD_LINK.sub(self._md_link, text)
        text = _AUTOLINK.sub(self._autolink, text)
        text = self._bare_urls(text)
        return _emphasis(escape_text(text))

    def _md_link(self, match: re.Match[str]) -> str:
        label = strip_formatting(match.group(2)).strip()
        return self._slot(render_url(match.group(3), self.allowed, label))

    def _autolink(self, match: re.Match[str]) -> str:
        label = strip_formatting(match.group(2) or "").strip()
        return self._slot(render_url(match.group(1), self.allowed, label))

    def _bare_urls(self, text: str) -> str:
        return _map_urls(text, str, lambda url: self._slot(render_url(url, self.allowed)))


def _code(text: str) -> str:
    return neutralise_pings(escape_control(text))


def _emphasis(text: str) -> str:
    """Markdown emphasis -> mrkdwn; unmatched `**`/`~~` (a stream cut mid-span) are dropped."""
    text = _TRIPLE.sub(lambda m: f"{_BOLD}_{m.group(1)}_{_BOLD}", text)
    text = _STRONG_STAR.sub(lambda m: f"{_BOLD}{m.group(1)}{_BOLD}", text)
    text = _STRONG_UNDER.sub(lambda m: f"{_BOLD}{m.group(1)}{_BOLD}", text)
    text = _EM_STAR.sub(lambda m: f"_{m.group(1)}_", text)
    text = _STRIKE.sub(lambda m: f"~{m.group(1)}~", text)
    return _LEFTOVER.sub("", text).replace(_BOLD, "*")


def inline_to_mrkdwn(text: str, *, allowed_links: Iterable[str] = ()) -> str:
    """One line of Markdown (a bullet, a TL;DR) -> mrkdwn, newlines folded to spaces."""
    line = " ".join(_PRIVATE.sub("", text).split())
    return _Inline(normalise_links(allowed_links)).convert(line)


def _table_cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip())
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return [c.strip().replace("\\|", "|") for c in cells]


def _cell_link(match: re.Match[str]) -> str:
    return f"{match.group(2)} ({match.group(3)})" if match.group(2) else match.group(3)


def _cell_text(cell: str, allowed: frozenset[str]) -> str:
    """A table cell as plain text for a code block: links become "label (url)", no emphasis."""
    cell = re.sub(r"\*\*|__|~~|`", "", _MD_LINK.sub(_cell_link, cell))

    def url(match: re.Match[str]) -> str:
        found = match.group(0)
        return found if is_allowed(trim_url(found), allowed) else defang_url(found)

    return URL_PATTERN.sub(url, cell)


def _table(rows: list[str], allowed: frozenset[str]) -> list[str]:
    """A Markdown table as an aligned code block (mrkdwn has no tables)."""
    body = [r for r in rows if not _TABLE_RULE.match(r)]
    cells = [[_cell_text(c, allowed) for c in _table_cells(r)] for r in body]
    width = max((len(r) for r in cells), default=0)
    if not width:
        return []
    cells = [r + [""] * (width - len(r)) for r in cells]
    sizes = [max(len(r[i]) for r in cells) for i in range(width)]
    lines = [" | ".join(c.ljust(sizes[i]) for i, c in enumerate(r)).rstrip() for r in cells]
    if len(lines) > 1:
        lines.insert(1, "-+-".join("-" * s for s in sizes))
    return ["```", *(_code(line) for line in lines), "```"]


def _is_table_start(lines: list[str], i: int) -> bool:
    return (
        "|" in lines[i]
        and i + 1 < len(lines)
        and "|" in lines[i + 1]
        and bool(_TABLE_RULE.match(lines[i + 1]))
        and "-" in lines[i + 1]
    )


class _Converter:
    """Line-by-line block conversion; list nesting tracked by indentation."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed
        self.out: list[str] = []
        self.list_indents: list[int] = []

    def inline(self, text: str) -> str:
        return _Inline(self.allowed).convert(text.strip())

    def run(self, lines: list[str]) -> str:
        i = 0
        while i < len(lines):
            i = self.step(lines, i)
        while self.out and not self.out[-1]:
            self.out.pop()
        return "\n".join(self.out)

    def step(self, lines: list[str], i: int) -> int:
        line = lines[i]
        fence = _FENCE.match(line)
        if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            return self.code_block(lines, i, fence.group(1))
        if _is_table_start(lines, i):
            end = i
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                end += 1
            self.out += _table(lines[i:end], self.allowed)
            self.list_indents = []
            return end
        self.block_line(line)
        return i + 1

    def code_block(self, lines: list[str], i: int, marker: str) -> int:
        end = i + 1
        closer = re.compile(rf"^\s{{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*$")
        while end < len(lines) and not closer.match(lines[end]):
            end += 1
        # A fence inside the code would end Slack's block early: break it invisibly.
        body = [_code(line).replace("```", "``\u200b`") for line in lines[i + 1 : end]]
        self.out += ["```", *body, "```"]  # an unclosed fence (partial input) is closed here
        self.list_indents = []
        return end + 1

    def block_line(self, line: str) -> None:
        if not line.strip():
            if self.out and self.out[-1]:
                self.out.append("")
            return
        if _HR.match(line):
            self.list_indents = []
            return
        if _SETEXT.match(line):
            if self.out and self.out[-1] and not self.out[-1].startswith(("*", ">", "```")):
                self.out[-1] = _bold_line(self.out[-1])
            return
        self.out.append(self.render_line(line))

    def render_line(self, line: str) -> str:
        heading = _HEADING.match(line)
        if heading:
            self.list_indents = []
            return _bold_line(self.inline(re.sub(r"\*\*|__", "", heading.group(1) or "")))
        quote = _QUOTE.match(line)
        if quote:
            inner = quote.group(1)
            while (nested := _QUOTE.match(inner)) is not None:
                inner = nested.group(1)
            return ">" + (" " + self.render_line(inner) if inner.strip() else "")
        bullet = _BULLET.match(line)
        if bullet:
            level = self.level(len(bullet.group(1).expandtabs(4)))
            text = bullet.group(2)
            task = _TASK.match(text)
            glyph = _BULLETS[min(level, len(_BULLETS) - 1)]
            if task:
                glyph = "☑" if task.group(1) in "xX" else "☐"
                text = text[task.end() :]
            return f"{_INDENT * level}{glyph} {self.inline(text)}"
        numbered = _NUMBERED.match(line)
        if numbered:
            level = self.level(len(numbered.group(1).expandtabs(4)))
            return f"{_INDENT * level}{numbered.group(2)}. {self.inline(numbered.group(3))}"
        indent = len(line) - len(line.lstrip())
        if self.list_indents and indent > self.list_indents[-1]:
            return f"{_INDENT * len(self.list_indents)}{self.inline(line)}"
        self.list_indents = []
        return self.inline(line)

    def level(self, indent: int) -> int:
        """Nesting depth of a list item: deeper by 2+ columns than the open item nests."""
        while self.list_indents and indent < self.list_indents[-1]:
            self.list_indents.pop()
        if not self.list_indents or indent >= self.list_indents[-1] + 2:
            self.list_indents.append(indent)
        return len(self.list_indents) - 1


def _bold_line(text: str) -> str:
    core = text.replace("*", "").strip()
    return f"*{core}*" if core else ""


def to_mrkdwn(markdown: str, *, allowed_links: Iterable[str] = ()) -> str:
    """Convert (possibly partial) Markdown to safe Slack mrkdwn.

    Links to a URL in `allowed_links` (compared after normalisation: scheme/host case, tracking
    parameters, fragment, trailing slash) become `<url|text>`; any other URL is defanged
    (`hxxps://evil[.]example/path`) with its link text kept, so nothing the model or article
    wrote can become a clickable or disguised link.
    """
    text = _PRIVATE.sub("", markdown).replace("\r\n", "\n").replace("\r", "\n")
    return _Converter(normalise_links(allowed_links)).run(text.split("\n"))
