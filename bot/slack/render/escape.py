"""Making untrusted text inert in Slack: control characters, pings and URLs.

Everything a model or an article wrote may be hostile (an article can plant `<!channel>` or a
disguised link), so it passes through here *before* we add our own markup (links we build, block
quotes we build). Slack treats only `&`, `<` and `>` as control characters in text objects and
decodes just those three entities for display, so escaping exactly those is lossless.

Bare-text pings: with `link_names` unset Slack itself does not turn `@channel` into a mention, but
some clients and integrations re-parse message text, so we insert U+2060 WORD JOINER after the `@`.
It is invisible, never a line-break opportunity (unlike U+200B) and has no emoji-joining meaning
(unlike U+200D ZWJ), so the text reads and wraps the same while the token `@channel` no longer
exists.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

_CONTROL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Streamed text: the same map plus every `@`, so it is a per-character substitution.
_STREAM = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "@" + WORD_JOINER})
_PING = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
# Characters that start inline formatting in standard Markdown (CommonMark backslash-escapes any
# ASCII punctuation, so `\[` renders `[`).
_MD_INLINE = re.compile(r"([\\`*_\[\]~])")

# Bare URLs Slack (or a Markdown renderer) could linkify: anything with a scheme, `www.` hosts,
# `mailto:` and bare domains under common TLDs. Deliberately broad: a false positive only shows
# "example[.]com" instead of "example.com", a false negative is a clickable planted link.
# TLDs that are also English words ("end.It", "go.to") are left out: a missing space after a full
# stop is commoner than a bare planted `example.to`, and URLs with a scheme are always caught.
_TLDS = (
    "com|net|org|info|biz|io|co|app|dev|ai|xyz|top|site|online|link|click|ly|gl|sh|tv|cc|ws|"
    "uk|ru|cn|de|fr|eu|nl|es|ca|au|jp|br|pl|ch|se|fi|dk|cz|ie|pt|gr|tk|ml|ga|cf|gq|su|ua|kr|"
    "tw|hk|sg|nz|za|mx|ar|ir|tr|vn|gov|edu|mil|zip|mov"
)
_URL_CHAR = "[^\\s<>\"'`\ue000-\ue002]"
URL_PATTERN = re.compile(
    rf"[a-z][a-z0-9+.\-]{{1,15}}://{_URL_CHAR}*"
    rf"|(?<![a-z0-9])mailto:{_URL_CHAR}+"
    rf"|(?<![a-z0-9.\-])www\.{_URL_CHAR}+"
    rf"|(?<![a-z0-9.\-])(?:[a-z0-9](?:[a-z0-9\-]{{0,61}}[a-z0-9])?\.)+(?:{_TLDS})\b"
    rf"(?:[/?#:]{_URL_CHAR}*)?",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"*_~»”’"
_SCHEMES = {"http": "hxxp", "https": "hxxps", "ftp": "fxp", "ftps": "fxps"}


def escape_control(text: str) -> str:
    """Escape Slack's three control characters and nothing else (safe inside code spans)."""
    return text.translate(_CONTROL)


def neutralise_pings(text: str) -> str:
    """Break `@channel`, `@here` and `@everyone` with an invisible word joiner."""
    return _PING.sub("@" + WORD_JOINER, text)


def escape_text(text: str) -> str:
    """Untrusted text -> inert Slack text: control characters escaped and pings broken."""
    return neutralise_pings(escape_control(text))


def escape_markdown_stream(text: str) -> str:
    """Escape a streamed delta: `&`, `<`, `>` as entities and a word joiner after every `@`.

    Safe to apply per delta because it is a per-character substitution with no context:
    f(a + b) == f(a) + f(b) for every split, so a `<!channel>` or `@here` cut across two deltas
    is neutralised exactly as if it had arrived whole. (Matching `@here` as a word would not be:
    `@he` + `re` would slip through.) Nothing else is touched, so Markdown the model writes still
    formats; entities are standard Markdown too (`&lt;` displays `<`). Links are *not* defanged
    here (a URL can straddle deltas): the streamed answer relies on the model's grounding and on
    Slack's rendering of `markdown_text`, and the final tail (`answer_stream_tail`) is defanged.
    """
    return text.translate(_STREAM)


def escape_markdown_literal(text: str) -> str:
    """Verbatim text for *standard* Markdown (Slack's `markdown_text`): no formatting, no links.

    Used for article quotes we append after a streamed answer: a planted `[click](url)` or
    `**` must render as the characters it is.
    """
    return _MD_INLINE.sub(r"\\\1", escape_text(text))


def trim_url(candidate: str) -> str:
    """Drop trailing punctuation a regex grabs from prose ("see https://x.org/a).")."""
    url = candidate.rstrip(_TRAILING)
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(_TRAILING)
    return url


def defang_url(url: str) -> str:
    """`https://evil.example/a.b` -> `hxxps://evil[.]example/a[.]b`: readable, never a link.

    Every dot is bracketed (not only the host's) so no part of the path can be re-linkified as a
    bare domain, and the scheme is mangled so `://` no longer reads as a URL.
    """
    scheme, sep, rest = url.partition("://")
    if sep:
        lowered = scheme.lower()
        head = f"{_SCHEMES[lowered]}://" if lowered in _SCHEMES else f"{scheme}[://]"
        body = rest
    elif url.lower().startswith("mailto:"):
        head, body = "mailto[:]", url[len("mailto:") :]
    else:
        head, body = "", url
    return head + body.replace(".", "[.]")


def strip_formatting(text: str) -> str:
    """Remove mrkdwn emphasis characters, for text we wrap in our own `*bold*`."""
    return re.sub(r"[*_~`]", "", text)
