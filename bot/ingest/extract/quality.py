"""Is what we extracted an article? Too-short results, paywalls, login walls, JavaScript shells.

Markers alone prove nothing: plenty of complete articles carry a "Subscribe" link, a login box,
"enable JavaScript" notices or paywall metadata while serving the whole text (on the extraction
benchmark, 24 of 181 real articles do). So a marker only says *why* a page failed when the
extracted text is short; a long extraction always passes. Explicit paywall wording ("subscribe
to continue reading") also catches teasers of a few paragraphs, up to `TEASER_WORDS`.
"""

from __future__ import annotations

import re
from enum import StrEnum

from lxml.html import HtmlElement

from bot.errors import NoArticleText

# Fewer words than this is not an article (a caption, an error page, a cookie notice...).
MIN_WORDS = 40
# An extraction shorter than this next to explicit paywall wording is a teaser, not the article.
TEASER_WORDS = 150

_PAYWALL_PHRASES = re.compile(
    r"subscribe (?:now )?to (?:continue|keep) reading|subscribe to read|subscribe to unlock"
    r"|(?:continue|keep) reading (?:with|for) (?:a |an )?(?:subscription|subscriber)"
    r"|to continue reading,? (?:please )?(?:subscribe|log ?in|sign ?in|register|become)"
    r"|(?:this (?:article|story|content) is )?(?:only )?(?:available|exclusive|reserved) "
    r"(?:only )?(?:to|for) (?:paying |premium )?(?:subscribers|members)"
    r"|subscribers?[- ]only|for subscribers only|premium (?:article|content) for subscribers"
    r"|you(?:'ve| have) (?:reached|used) (?:your|all of your) (?:limit|free article)"
    r"|free articles? (?:remaining|left)|remaining free articles?"
    r"|become a (?:member|subscriber) to (?:read|continue)",
    re.IGNORECASE,
)
_NOT_FREE = re.compile(r"[\"']isAccessibleForFree[\"']\s*:\s*[\"']?false", re.IGNORECASE)
_JS_PHRASES = re.compile(
    r"(?:enable|turn on|activate) javascript"
    r"|javascript (?:is )?(?:required|disabled|must be enabled)|requires? javascript"
    r"|(?:doesn't|does not|won't|will not) work (?:properly )?without javascript"
    r"|browser (?:does not|doesn't) support javascript",
    re.IGNORECASE,
)
_LOGIN_PHRASES = re.compile(
    r"(?:log|sign) ?in to (?:continue|read|view|see|access)|please (?:log|sign) ?in"
    r"|you (?:must|need to) (?:be )?(?:log(?:ged)?|sign(?:ed)?) ?in",
    re.IGNORECASE,
)
# Scripts written without spaces: a \w+ "word" there is a whole clause, so count characters.
_UNSPACED = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f\uf900-\ufaff]"
)
_UNSPACED_CHARS_PER_WORD = 2
_WORD = re.compile(r"\w+")
_APP_ROOTS = ("root", "app", "__next", "__nuxt", "svelte", "main-app", "ember-app")


def effective_words(text: str) -> int:
    """Word count that also works for Chinese, Japanese, Korean and Thai text."""
    unspaced = len(_UNSPACED.findall(text))
    if not unspaced:
        return len(_WORD.findall(text))
    spaced = len(_WORD.findall(_UNSPACED.sub(" ", text)))
    return spaced + unspaced // _UNSPACED_CHARS_PER_WORD


class PageProblem(StrEnum):
    """Why a page gave no usable article, each with the sentence the user sees."""

    PAYWALL = "This page is behind a paywall, so I can only see a teaser."
    LOGIN = "This page asks you to log in before showing the article."
    JAVASCRIPT = "This page needs JavaScript to show its text, which I can't run."
    NO_TEXT = "This page has no article text I can read."

    def error(self) -> NoArticleText:
        return NoArticleText(self.value, paste_hint=True)


def _visible_text(tree: HtmlElement) -> str:
    texts = tree.xpath(
        "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::template)]"
    )
    return " ".join(" ".join(texts).split())


def _has_app_shell(tree: HtmlElement) -> bool:
    """An empty mount point for a client-side app (`<div id="root"></div>` and friends)."""
    for elem in tree.xpath("//body//*[@id]"):
        if elem.get("id") in _APP_ROOTS and not elem.text_content().strip():
            return True
    return False


def paywall_marked(tree: HtmlElement) -> bool:
    """Explicit paywall wording on the page, or schema.org `isAccessibleForFree: false`."""
    if _PAYWALL_PHRASES.search(_visible_text(tree)):
        return True
    scripts = tree.xpath("//script[@type='application/ld+json']/text()")
    return any(_NOT_FREE.search(s) for s in scripts)


def diagnose(tree: HtmlElement, words: int) -> PageProblem | None:
    """The problem with a page whose main text has `words` words, or None when it is fine."""
    if words >= TEASER_WORDS:
        return None
    visible = _visible_text(tree)
    if _PAYWALL_PHRASES.search(visible):
        return PageProblem.PAYWALL
    if words >= MIN_WORDS:
        return None
    if paywall_marked(tree):
        return PageProblem.PAYWALL
    if tree.xpath("//input[@type='password']") or _LOGIN_PHRASES.search(visible):
        return PageProblem.LOGIN
    if _JS_PHRASES.search(visible) or _has_app_shell(tree):
        return PageProblem.JAVASCRIPT
    return PageProblem.NO_TEXT


def possible_teaser(tree: HtmlElement, words: int) -> bool:
    """Paywall metadata next to a short text: maybe only the free part of the article.

    Not an error (complete short articles carry the same metadata), but worth telling the user.
    """
    return MIN_WORDS <= words < TEASER_WORDS and paywall_marked(tree)


def check_page(tree: HtmlElement, words: int) -> None:
    """Raise NoArticleText when the page's extraction (`words` long) is not a usable article."""
    problem = diagnose(tree, words)
    if problem is not None:
        raise problem.error()


def check_words(words: int, *, pasted: bool = False) -> None:
    """Raise NoArticleText when a text, Markdown or PDF source is too short to be an article."""
    if words >= MIN_WORDS:
        return
    if pasted:
        raise NoArticleText(
            f"That text is too short to work with ({words} words; I need at least {MIN_WORDS})."
        )
    raise PageProblem.NO_TEXT.error()
