"""Parsing Slack-formatted and plain messages into links, pasted text and a note."""

from __future__ import annotations

from bot.ingest.urls import normalize_url
from bot.slack.markup import parse_message

LONG = " ".join(["The council met on Tuesday and voted to approve the plan."] * 8)


def test_slack_link_with_label_and_mention_removed() -> None:
    parsed = parse_message("<@U0BOT> <https://example.com/a?x=1&amp;y=2|example.com/a> please")
    assert parsed.urls == ["https://example.com/a?x=1&y=2"]
    assert parsed.note == "please"
    assert parsed.pasted_text is None


def test_bare_and_wrapped_links_deduplicated_in_order() -> None:
    text = "<@U1> see <https://b.example/x> and https://a.example/y, also <https://b.example/x>."
    assert parse_message(text).urls == ["https://b.example/x", "https://a.example/y"]


def test_trailing_punctuation_trimmed_but_balanced_paren_kept() -> None:
    parsed = parse_message("read https://en.wikipedia.org/wiki/Tide_(disambiguation). thanks")
    assert parsed.urls == ["https://en.wikipedia.org/wiki/Tide_(disambiguation)"]


def test_broadcasts_and_user_groups_never_survive_into_the_note() -> None:
    parsed = parse_message("<!channel> <!subteam^S1|@team> <@U2|bob> what is this <#C1|general>")
    assert parsed.note == "what is this #general"
    assert "<!" not in parsed.note and "@" not in parsed.note


def test_mailto_is_not_a_source() -> None:
    parsed = parse_message("<mailto:a@b.example|a@b.example> hello")
    assert parsed.urls == [] and parsed.note == "a@b.example hello"


def test_long_text_is_the_article_even_with_links_inside() -> None:
    parsed = parse_message(f"<@U0BOT> {LONG} <https://example.com/source>", min_pasted_words=60)
    assert parsed.pasted_text is not None and parsed.pasted_text.startswith("The council met")
    assert parsed.urls == []
    assert parsed.has_article


def test_short_text_without_link_has_no_article() -> None:
    parsed = parse_message("<@U0BOT> hello there")
    assert not parsed.has_article and parsed.note == "hello there"


def test_empty_mention() -> None:
    parsed = parse_message("<@U0BOT>")
    assert not parsed.has_article and parsed.note == ""


def test_quoted_paste_markers_and_entities_are_unescaped() -> None:
    text = "&gt; " + LONG.replace("plan.", "plan &amp; budget.")
    parsed = parse_message(text)
    assert parsed.pasted_text is not None
    assert "&amp;" not in parsed.pasted_text and "plan & budget" in parsed.pasted_text
    assert not parsed.pasted_text.startswith(">")


def test_non_http_schemes_in_plain_text_are_ignored() -> None:
    assert parse_message("file:///etc/passwd ftp://x.example/y").urls == []


def test_normalize_url_drops_tracking_fragment_and_default_port() -> None:
    url = "HTTPS://News.Example.COM:443/a/b?utm_source=x&id=7&fbclid=z#top"
    assert normalize_url(url) == "https://news.example.com/a/b?id=7"
    assert normalize_url("http://x.example:8080") == "http://x.example:8080/"
