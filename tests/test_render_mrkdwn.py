"""Markdown -> Slack mrkdwn: formatting, links, code, and partial (streamed) input."""

from __future__ import annotations

import re

import pytest

from bot.slack.render.escape import WORD_JOINER
from bot.slack.render.mrkdwn import (
    inline_to_mrkdwn,
    plain_to_markdown,
    plain_to_mrkdwn,
    to_mrkdwn,
)

ARTICLE = "https://news.example.com/2026/03/tidal-pilot"
ENTITY = re.compile(r"<([^<>]*)>")
BARE_PINGS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def links(text: str) -> list[str]:
    """The targets of every Slack entity (`<...>`) in rendered mrkdwn."""
    return [m.group(1).split("|")[0] for m in ENTITY.finditer(text)]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**bold** and __bold__", "*bold* and *bold*"),
        ("*italic* and _italic_", "_italic_ and _italic_"),
        ("~~gone~~", "~gone~"),
        ("***both***", "*_both_*"),
        ("**bold with _italic_ inside**", "*bold with _italic_ inside*"),
        ("*a **b** c*", "_a *b* c_"),
        ("`a <b> & *c*`", "`a &lt;b&gt; &amp; *c*`"),
        ("# Title\n## Sub **title**", "*Title*\n*Sub title*"),
        ("Title\n===\nbody", "*Title*\nbody"),
        ("- one\n* two\n+ three", "• one\n• two\n• three"),
        ("1. one\n2) two", "1. one\n2. two"),
        ("- a\n  - b\n    - c\n- d", "• a\n    ◦ b\n        ▪ c\n• d"),
        ("1. a\n   - b", "1. a\n    ◦ b"),
        ("- [ ] todo\n- [x] done", "☐ todo\n☑ done"),
        ("> quoted **text**", "> quoted *text*"),
        ("> > nested", "> nested"),
        ("> - item in quote", "> • item in quote"),
        ("above\n\n---\n\n***\n___\nbelow", "above\n\nbelow"),
        ("a\n\n\n\nb", "a\n\nb"),
        ("snake_case_name and 2 * 3 * 4 and a*b", "snake_case_name and 2 * 3 * 4 and a*b"),
        ("2 ** 3", "2 ** 3"),
        ("```x = 1``` inline", "`x = 1` inline"),
    ],
)
def test_conversions(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


def test_fenced_code_is_kept_verbatim_apart_from_control_characters() -> None:
    markdown = "Run:\n\n```python\nif a < b and c > d:\n    x = **y** & _z_\n```\nDone."
    assert to_mrkdwn(markdown) == (
        "Run:\n\n```\nif a &lt; b and c &gt; d:\n    x = **y** &amp; _z_\n```\nDone."
    )


def test_tilde_fence_and_unclosed_fence() -> None:
    assert to_mrkdwn("~~~\ncode\n~~~") == "```\ncode\n```"
    assert to_mrkdwn("text\n```\nunfinished <code>") == "text\n```\nunfinished &lt;code&gt;\n```"


def test_table_becomes_an_aligned_code_block() -> None:
    markdown = "| Name | Votes |\n|:---|---:|\n| Okafor | **7** |\n| Pryce | 2 |\nafter"
    assert to_mrkdwn(markdown) == (
        "```\nName   | Votes\n-------+------\nOkafor | 7\nPryce  | 2\n```\nafter"
    )


def test_links_in_tables_are_defanged_too() -> None:
    out = to_mrkdwn("| a | b |\n|---|---|\n| [x](https://evil.example/p) | 1 |")
    assert "hxxps://evil[.]example/p" in out
    assert "https://" not in out


@pytest.mark.parametrize(
    "allowed_form",
    [
        ARTICLE,
        "HTTPS://NEWS.EXAMPLE.COM/2026/03/tidal-pilot",
        ARTICLE + "/",
        ARTICLE + "?utm_source=slack#top",
    ],
)
def test_allowed_link_is_a_real_link(allowed_form: str) -> None:
    out = to_mrkdwn(f"Read [the piece]({ARTICLE}) or {ARTICLE}.", allowed_links=[allowed_form])
    assert out == f"Read <{ARTICLE}|the piece> or <{ARTICLE}>."


def test_other_links_are_defanged_with_their_text_kept() -> None:
    out = to_mrkdwn(
        "See [the council](https://evil.example/a.html), visit https://evil.example/x, "
        "<https://auto.example/p>, www.evil.example, bit.ly/abc and mail bob@evil.com.",
        allowed_links=[ARTICLE],
    )
    assert links(out) == []
    assert "the council (hxxps://evil[.]example/a[.]html)" in out
    assert "visit hxxps://evil[.]example/x," in out
    assert "hxxps://auto[.]example/p" in out
    assert "www[.]evil[.]example" in out and "bit[.]ly/abc" in out
    assert "bob@evil[.]com." in out


def test_disguised_link_cannot_borrow_an_allowed_label() -> None:
    out = to_mrkdwn(f"[{ARTICLE}](https://evil.example/steal)", allowed_links=[ARTICLE])
    # The label is shown (as a real link to the allowed URL), the target is visible and dead.
    assert links(out) == [ARTICLE]
    assert out.endswith("(hxxps://evil[.]example/steal)")


def test_slack_style_link_from_the_model_is_defanged() -> None:
    out = to_mrkdwn("<https://evil.example|click here> and <!channel>")
    assert links(out) == []
    assert out == "click here (hxxps://evil[.]example) and &lt;!channel&gt;"


def test_non_http_schemes_are_never_links() -> None:
    out = to_mrkdwn(
        "[x](javascript://alert) [y](ftp://files.example/a)",
        allowed_links=["ftp://files.example/a"],
    )
    assert links(out) == []


def test_image_becomes_text_and_defanged_url() -> None:
    assert (
        to_mrkdwn("![a chart](https://img.example/c.png)")
        == "a chart (hxxps://img[.]example/c[.]png)"
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "<!channel>",
        "<!here|here>",
        "<!everyone>",
        "<@U123>",
        "<#C123|general>",
        "<!subteam^S1>",
        "<https://evil.example|click>",
    ],
)
@pytest.mark.parametrize(
    "template",
    ["{}", "**{}**", "- {}", "> {}", "# {}", "[{}](https://evil.example)", "| {} |\n|---|", "`{}`"],
)
def test_hostile_entities_never_survive(hostile: str, template: str) -> None:
    out = to_mrkdwn(template.format(hostile) + " @here", allowed_links=[ARTICLE])
    assert links(out) == []
    assert not BARE_PINGS.search(out)


def test_pings_inside_code_are_broken_too() -> None:
    out = to_mrkdwn("`@channel`\n```\n@here\n```")
    assert not BARE_PINGS.search(out)
    assert out.replace(WORD_JOINER, "") == "`@channel`\n```\n@here\n```"


def test_input_cannot_forge_internal_placeholders() -> None:
    assert (
        to_mrkdwn("a \ue0000\ue001 b [x](https://evil.example)")
        == "a 0 b x (hxxps://evil[.]example)"
    )


RICH = (
    "# Answer\n\nThe **council** voted *7 to 2* (see [the report](https://evil.example/r)).\n\n"
    "- Okafor: `40 jobs` & a ~~£200k~~ £250k fund <!channel>\n"
    "  - nested point with https://evil.example/deep\n"
    "1. first\n\n> “Nobody asked” @here\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode <x>\n```\nEnd."
)


@pytest.mark.parametrize("cut", range(len(RICH) + 1))
def test_every_prefix_of_a_stream_renders_safely(cut: int) -> None:
    out = to_mrkdwn(RICH[:cut])
    assert links(out) == []
    assert not BARE_PINGS.search(out)
    assert "**" not in out
    assert "https://" not in out
    fences = [line for line in out.split("\n") if line.startswith("```")]
    assert len(fences) % 2 == 0


def test_unbalanced_markers_are_dropped() -> None:
    assert to_mrkdwn("Partial **bold and ~~strike") == "Partial bold and strike"
    assert to_mrkdwn("text **") == "text"


def test_inline_folds_newlines_and_converts() -> None:
    assert inline_to_mrkdwn("a **b**\n c") == "a *b* c"


def test_plain_text_is_not_formatted_but_is_escaped_and_defanged() -> None:
    out = plain_to_mrkdwn(
        f"**Quote** <!here> https://evil.example {ARTICLE}", allowed_links=[ARTICLE]
    )
    assert out == f"**Quote** &lt;!here&gt; hxxps://evil[.]example <{ARTICLE}>"


def test_plain_to_markdown_is_inert_in_standard_markdown() -> None:
    out = plain_to_markdown(
        f"**x** [click](https://evil.example) <!channel> {ARTICLE}", allowed_links=[ARTICLE]
    )
    assert out == (
        r"\*\*x\*\* \[click\](hxxps://evil\[.\]example) &lt;!channel&gt; "
        rf"[{ARTICLE}]({ARTICLE})"
    )
