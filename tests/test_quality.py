"""The quality gate: which pages are paywalls, login walls, JavaScript shells or too short."""

from __future__ import annotations

import gzip

import pytest
from lxml.html import HtmlElement, document_fromstring

from bot.errors import PASTE_HINT, NoArticleText
from bot.ingest.extract import extract_html
from bot.ingest.extract.quality import (
    MIN_WORDS,
    TEASER_WORDS,
    PageProblem,
    check_page,
    check_words,
    diagnose,
    effective_words,
    possible_teaser,
)
from tests.shared_data import EXTRACTION_DIR, requires_shared


def page(body: str, head: str = "") -> HtmlElement:
    return document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


ARTICLE = "<article><p>The council approved the tidal pilot on Tuesday night.</p></article>"
FOOTER = '<footer><a href="/subscribe">Subscribe</a> <a href="/login">Log in</a></footer>'
PAYWALL = "<div><p>Subscribe to continue reading. Already a subscriber? Log in.</p></div>"
NOT_FREE = '<script type="application/ld+json">{"isAccessibleForFree": false}</script>'
LOGIN = '<form><input name="user"><input type="password" name="pw"></form>'
NOSCRIPT = "<noscript>Please enable JavaScript to view this site.</noscript>"


@pytest.mark.parametrize("words", [MIN_WORDS, TEASER_WORDS - 1, TEASER_WORDS, 5000])
def test_ordinary_page_with_enough_words_passes(words: int) -> None:
    assert diagnose(page(ARTICLE + FOOTER), words) is None


@pytest.mark.parametrize("words", [0, MIN_WORDS - 1])
def test_too_little_text(words: int) -> None:
    assert diagnose(page(ARTICLE + FOOTER), words) is PageProblem.NO_TEXT


def test_paywall_wording_catches_teasers_but_not_long_articles() -> None:
    tree = page(ARTICLE + PAYWALL)
    assert diagnose(tree, 10) is PageProblem.PAYWALL
    assert diagnose(tree, TEASER_WORDS - 1) is PageProblem.PAYWALL
    assert diagnose(tree, TEASER_WORDS) is None


def test_paywall_metadata_only_matters_when_text_is_missing() -> None:
    tree = page(ARTICLE, head=NOT_FREE)
    assert diagnose(tree, MIN_WORDS - 1) is PageProblem.PAYWALL
    assert diagnose(tree, MIN_WORDS) is None
    assert possible_teaser(tree, MIN_WORDS)
    assert not possible_teaser(tree, TEASER_WORDS)
    assert not possible_teaser(page(ARTICLE), MIN_WORDS)


def test_login_form_or_wording_when_text_is_missing() -> None:
    assert diagnose(page(LOGIN), 3) is PageProblem.LOGIN
    assert diagnose(page("<p>Please sign in to continue.</p>"), 5) is PageProblem.LOGIN
    assert diagnose(page(ARTICLE + LOGIN), MIN_WORDS) is None


def test_javascript_markers_when_text_is_missing() -> None:
    assert diagnose(page(NOSCRIPT), 6) is PageProblem.JAVASCRIPT
    assert diagnose(page('<div id="app"></div>'), 0) is PageProblem.JAVASCRIPT
    assert diagnose(page('<div id="app"><p>Loaded text</p></div>'), 2) is PageProblem.NO_TEXT
    assert diagnose(page(ARTICLE + NOSCRIPT), MIN_WORDS) is None


def test_subscribe_link_alone_is_not_a_paywall() -> None:
    assert diagnose(page(ARTICLE + FOOTER), MIN_WORDS - 1) is PageProblem.NO_TEXT
    assert diagnose(page(ARTICLE + FOOTER), MIN_WORDS) is None


@pytest.mark.parametrize(
    ("problem", "wording"),
    [
        (PageProblem.PAYWALL, "paywall"),
        (PageProblem.LOGIN, "log in"),
        (PageProblem.JAVASCRIPT, "JavaScript"),
        (PageProblem.NO_TEXT, "no article text"),
    ],
)
def test_messages_say_the_case_and_suggest_pasting(problem: PageProblem, wording: str) -> None:
    error = problem.error()
    assert isinstance(error, NoArticleText)
    assert wording in error.user_message
    assert error.user_message.endswith(PASTE_HINT)


def test_check_page_raises_the_diagnosed_problem() -> None:
    check_page(page(ARTICLE), MIN_WORDS)
    with pytest.raises(NoArticleText) as caught:
        check_page(page(ARTICLE + PAYWALL), 60)
    assert str(caught.value) == PageProblem.PAYWALL.error().user_message


def test_effective_words_counts_unspaced_scripts_by_characters() -> None:
    assert effective_words("The council voted on Tuesday.") == 5
    assert effective_words("議会は火曜日に承認した") == 5  # 11 CJK/kana characters
    assert effective_words("Apple社は「脱獄」を認めていません") == 1 + 12 // 2  # brackets skipped
    assert effective_words("") == 0


def test_check_words() -> None:
    check_words(MIN_WORDS)
    with pytest.raises(NoArticleText) as caught:
        check_words(MIN_WORDS - 1)
    assert PASTE_HINT in str(caught.value)
    with pytest.raises(NoArticleText) as caught:
        check_words(3, pasted=True)
    assert "too short" in str(caught.value) and PASTE_HINT not in str(caught.value)


@requires_shared
@pytest.mark.slow  # extracts every benchmark article
def test_no_benchmark_article_is_rejected() -> None:
    """All 181 benchmark pages are real articles: the gate must let every one through."""
    rejected = []
    for path in sorted((EXTRACTION_DIR / "html").glob("*.html.gz")):
        try:
            extract_html(gzip.decompress(path.read_bytes()))
        except NoArticleText as err:
            rejected.append(f"{path.name}: {err}")
    assert rejected == []
