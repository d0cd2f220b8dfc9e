"""Escaping untrusted text for Slack: no pings, no disguised links, nothing lost."""

from __future__ import annotations

import re

import pytest

from bot.slack.render.escape import (
    WORD_JOINER,
    defang_url,
    escape_control,
    escape_markdown_literal,
    escape_markdown_stream,
    escape_text,
    neutralise_pings,
    trim_url,
)

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123>",
    "<!subteam^S1>",
    "<https://evil.example|click>",
    "<!date^1392734382^{date}|Feb 18>",
]
BARE_PINGS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def _unescape(text: str) -> str:
    """What Slack displays: it decodes exactly these three entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_control_characters_never_survive(hostile: str) -> None:
    escaped = escape_text(f"Breaking: {hostile} now")
    assert "<" not in escaped and ">" not in escaped
    assert _unescape(escaped) == f"Breaking: {hostile} now"


def test_escaping_is_lossless_for_existing_entities() -> None:
    text = "AT&T &amp; R&D <b> &lt;tag&gt;"
    escaped = escape_control(text)
    assert escaped == "AT&amp;T &amp;amp; R&amp;D &lt;b&gt; &amp;lt;tag&amp;gt;"
    assert _unescape(escaped) == text


@pytest.mark.parametrize(
    "text",
    ["@channel", "Hey @here!", "@everyone, listen", "@Channel", "@HERE.", "(@everyone)"],
)
def test_bare_pings_get_a_word_joiner(text: str) -> None:
    out = escape_text(text)
    assert not BARE_PINGS.search(out)
    assert "@" + WORD_JOINER in out
    # Invisible: removing the joiner gives the original text back.
    assert out.replace(WORD_JOINER, "") == text


@pytest.mark.parametrize("text", ["@channelling", "@hereford", "me@example", "@ana"])
def test_other_at_signs_are_left_alone(text: str) -> None:
    assert neutralise_pings(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Ping <!channel> and @here & <@U123> then <https://evil.example|x> @everyone",
        "a@channel<>&@@here",
    ],
)
def test_stream_escaping_is_safe_per_delta(text: str) -> None:
    whole = escape_markdown_stream(text)
    assert "<" not in whole and ">" not in whole and not BARE_PINGS.search(whole)
    for cut in range(len(text) + 1):
        pieces = escape_markdown_stream(text[:cut]) + escape_markdown_stream(text[cut:])
        assert pieces == whole
    for a in range(len(text) + 1):
        for b in range(a, len(text) + 1):
            parts = (text[:a], text[a:b], text[b:])
            assert "".join(map(escape_markdown_stream, parts)) == whole


def test_stream_escaping_changes_nothing_else() -> None:
    text = "**bold** _it_ [link](x) `code` # head\n> quote"
    assert escape_markdown_stream(text) == "**bold** _it_ [link](x) `code` # head\n&gt; quote"


@pytest.mark.parametrize(
    ("url", "defanged"),
    [
        ("https://evil.example/path", "hxxps://evil[.]example/path"),
        ("http://a.b.c/x.html?q=1", "hxxp://a[.]b[.]c/x[.]html?q=1"),
        ("ftp://files.example/a", "fxp://files[.]example/a"),
        ("javascript://evil.example", "javascript[://]evil[.]example"),
        ("mailto:bob@evil.example", "mailto[:]bob@evil[.]example"),
        ("www.evil.example", "www[.]evil[.]example"),
    ],
)
def test_defang_url(url: str, defanged: str) -> None:
    assert defang_url(url) == defanged


@pytest.mark.parametrize(
    ("candidate", "url"),
    [
        ("https://x.example/a).", "https://x.example/a"),
        ("https://en.wikipedia.org/wiki/Tide_(disambiguation)", None),
        ("https://x.example/a,", "https://x.example/a"),
        ("https://x.example/a**", "https://x.example/a"),
    ],
)
def test_trim_url(candidate: str, url: str | None) -> None:
    assert trim_url(candidate) == (url or candidate)


def test_markdown_literal_cannot_format_or_link() -> None:
    out = escape_markdown_literal("**x** [click](https://evil.example) `c` <!here> @here")
    assert re.search(r"(?<!\\)[\[\]*`]", out) is None
    assert "&lt;!here&gt;" in out
    assert not BARE_PINGS.search(out)
