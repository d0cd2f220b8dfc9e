"""HTML extraction: main text and metadata, page furniture, charsets, unusable pages."""

from __future__ import annotations

import gzip
import json
from html import escape

import pytest

from bench.extraction import page_scores
from bot.errors import PASTE_HINT, NoArticleText, UnsupportedContent
from bot.ingest.extract import extract_document, extract_html
from bot.ingest.extract._combine import add_missing_sections
from tests.shared_data import EXTRACTION_DIR, requires_shared

STORY = [
    "The Port Ellery council voted on Tuesday to approve a two-year tidal energy pilot in the "
    "Ellery Narrows, ending eight months of public hearings that divided the harbour town.",
    "The developer, Tidewater Energy, will place six turbines on the seabed about 800 metres "
    "off Gannet Point, enough to supply roughly 9,000 homes when the tide is running.",
    "Mayor Helen Okafor called it the most important decision the council has made in a "
    "generation and promised forty permanent jobs and a community fund for the harbour.",
    "The fishermen's association said it would ask the regulator to review the licence, "
    "arguing that the richest crab grounds on the coast would close for two seasons.",
    "Construction is scheduled to begin in September once the licence review is complete, and "
    "the company may expand the array to thirty turbines by the end of the decade.",
    "Each turbine will carry acoustic monitors to track porpoises and seals, and the machines "
    "will stop automatically if marine mammals come within fifty metres of the blades.",
    "On the quay the morning after the vote, the crab boats went out as usual, and the "
    "skippers said they would keep fishing until somebody told them they could not.",
]
NAV = "Home News Sport Weather Business Culture Opinion"
FOOTER = "Copyright Harbour Gazette Media Group. Terms of use. Privacy policy. Contact us."


def news_page(
    paragraphs: list[str] = STORY,
    *,
    head: str = "",
    before: str = "",
    after: str = "",
    lang: str = "en",
    title: str = "Council approves tidal pilot",
) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>{title} | Harbour Gazette</title>
<meta property="og:site_name" content="Harbour Gazette">
<meta name="author" content="Marta Lindqvist">
<meta property="article:published_time" content="2026-03-14T09:30:00Z">
{head}
</head><body>
<header><nav><a href="/">{NAV}</a></nav>{before}</header>
<main><article>
<h1>{title}</h1>
<p class="byline">By Marta Lindqvist</p>
{body}
</article>
<aside class="related"><h3>Most read</h3><ul><li><a href="/a">Storm closes the ferry
route for a week</a></li><li><a href="/b">Harbour festival returns</a></li></ul></aside>
</main>
<footer><p>{FOOTER}</p>{after}</footer>
</body></html>"""


def test_news_page_main_text_and_metadata() -> None:
    article = extract_html(news_page(), url="https://news.example/tidal")
    assert article.paragraphs == tuple(STORY)
    assert article.title == "Council approves tidal pilot"
    assert article.author == "Marta Lindqvist"
    assert article.published == "2026-03-14"
    assert article.site_name == "Harbour Gazette"
    assert article.language == "en"
    assert article.url == "https://news.example/tidal"
    assert article.source_kind == "html"
    assert "Weather" not in article.text and "Privacy" not in article.text
    assert "ferry" not in article.text


def test_structure_kept_headings_and_list_items_are_paragraphs() -> None:
    parts = [
        *STORY[:2],
        "</p><h2>What happens next</h2><p>" + STORY[2],
        "</p><ul><li>Licence review by the regulator in the spring.</li>"
        "<li>Seabed survey of the Narrows over the summer.</li></ul><p>" + STORY[3],
        STORY[4],
    ]
    article = extract_html(news_page(parts))
    assert article.paragraphs == (
        STORY[0],
        STORY[1],
        "What happens next",
        STORY[2],
        "Licence review by the regulator in the spring.",
        "Seabed survey of the Narrows over the summer.",
        STORY[3],
        STORY[4],
    )


def test_furniture_and_repeated_headline_dropped() -> None:
    parts = [
        "Council approves tidal pilot",
        STORY[0],
        "Advertisement",
        STORY[1],
        "Read more: Storm closes the ferry route for a week",
        *STORY[2:],
    ]
    html = news_page(parts).replace("<h1>Council approves tidal pilot</h1>", "")
    assert extract_html(html).paragraphs == tuple(STORY)


def test_bare_fragment_is_accepted() -> None:
    fragment = "".join(f"<p>{p}</p>" for p in STORY)
    assert extract_html(fragment).paragraphs == tuple(STORY)


def test_double_line_break_separates_paragraphs() -> None:
    html = f"<html><body><div class='story'>{'<br><br>'.join(STORY)}</div></body></html>"
    assert extract_html(html).paragraphs == tuple(STORY)


def test_client_rendered_page_uses_json_ld_article_body() -> None:
    data = {"@type": "NewsArticle", "headline": "Tidal pilot", "articleBody": "\n\n".join(STORY)}
    html = f"""<html><head><title>Tidal pilot</title>
    <script type="application/ld+json">{json.dumps(data)}</script></head>
    <body><div id="root"></div><script src="/app.js"></script></body></html>"""
    assert extract_html(html).paragraphs == tuple(STORY)


def test_json_ld_article_body_with_markup_in_a_graph() -> None:
    body = "".join(f"<p>{escape(p)}</p>" for p in STORY)
    data = {"@graph": [{"@type": "WebPage"}, {"@type": "Article", "articleBody": body}]}
    html = f"""<html><head><script type="application/ld+json">{json.dumps(data)}</script>
    </head><body><div id="app"></div></body></html>"""
    assert extract_html(html).paragraphs == tuple(STORY)


def test_missing_sections_added_only_when_substantial_prose() -> None:
    first, extra = STORY[:3], STORY[3:]
    long_extra = [f"{p} {p}" for p in extra]  # 30+ words each, as real paragraphs are
    merged = add_missing_sections(first, [*first, "Advertisement", *long_extra])
    assert merged == [*first, *long_extra]
    # a single stray paragraph (an author bio, a newsletter pitch) is not a missing section
    assert add_missing_sections(first, [*first, long_extra[0]]) == first
    # short lines are furniture, not prose
    assert add_missing_sections(first, [*first, *extra]) == first
    # a fallback that disagrees with the main text is about something else
    assert add_missing_sections(first, long_extra) == first


def test_non_english_page() -> None:
    german = [
        "Der Gemeinderat von Port Ellery hat am Dienstag ein zweijähriges Pilotprojekt für "
        "Gezeitenenergie genehmigt und damit acht Monate öffentlicher Anhörungen beendet.",
        "Sechs Turbinen sollen etwa achthundert Meter vor der Küste auf dem Meeresboden stehen "
        "und bei Flut rund neuntausend Haushalte mit Strom versorgen.",
        "Die Fischer befürchten, dass die ergiebigsten Krabbengründe der Küste während der "
        "Bauarbeiten für mindestens zwei Saisons gesperrt werden müssen.",
    ]
    html = news_page(german, lang="de-DE", title="Gemeinderat genehmigt Gezeitenprojekt")
    article = extract_html(html.encode("utf-8"))
    assert article.language == "de"
    assert article.paragraphs == tuple(german)
    assert article.title == "Gemeinderat genehmigt Gezeitenprojekt"


def test_japanese_page_is_long_enough_by_characters() -> None:
    # \w+ sees a Japanese sentence as one "word"; the length check must count characters.
    japanese = [
        "ポートエラリー町議会は火曜日の夜、エラリー海峡での二年間の潮力発電試験計画を承認した。",
        "計画では六基のタービンを沖合八百メートルの海底に設置し、満潮時には約九千世帯分の電力を供給する。",
        "漁業者の団体は、建設期間中に沿岸で最も豊かなカニの漁場が閉鎖されると反対している。",
    ]
    article = extract_html(news_page(japanese, lang="ja", title="潮力発電計画を承認"))
    assert article.language == "ja"
    assert article.paragraphs == tuple(japanese)


def test_meta_charset_latin1() -> None:
    text = "Café owners in Zürich say the naïve plan costs €40 per façade, über alles."
    paragraphs = [text, *STORY]
    html = news_page(paragraphs).replace('<meta charset="utf-8">', '<meta charset="iso-8859-1">')
    body = html.encode("cp1252")  # what "iso-8859-1" means on the web (WHATWG)
    article = extract_html(body)
    assert article.paragraphs[0] == text


def test_meta_http_equiv_charset_where_detection_would_guess_wrong() -> None:
    # In ISO-8859-15 byte 0xA4 is "€"; a detector guessing windows-1252 would show "¤".
    text = "Prices rose to 40 € a night and Škoda drivers paid 12 € more for parking."
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-15">'
    html = news_page([text, *STORY]).replace('<meta charset="utf-8">', meta)
    article = extract_html(html.encode("iso-8859-15"))
    assert article.paragraphs[0] == text


def test_declared_charset_beats_meta() -> None:
    html = news_page(["Ωmega reactor update: the naïve café.", *STORY])
    body = html.replace('<meta charset="utf-8">', '<meta charset="iso-8859-1">').encode("utf-8")
    article = extract_document(body, "text/html; charset=UTF-8")
    assert article.paragraphs[0] == "Ωmega reactor update: the naïve café."


def test_binary_declared_as_html_is_unsupported() -> None:
    junk = bytes(range(256)) * 40
    with pytest.raises(UnsupportedContent):
        extract_html(junk)


def _assert_problem(html: str, wording: str) -> None:
    with pytest.raises(NoArticleText) as caught:
        extract_html(html)
    message = str(caught.value)
    assert wording in message
    assert PASTE_HINT in message


def test_paywall_teaser_rejected() -> None:
    wall = (
        '<div class="paywall"><h2>Subscribe to continue reading</h2>'
        "<p>This article is available to subscribers only. Already a subscriber? "
        '<a href="/login">Log in</a></p></div>'
    )
    _assert_problem(news_page([*STORY[:2], wall]), "behind a paywall")


def test_paywall_metadata_with_almost_no_text_rejected() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"isAccessibleForFree": false}</script>'
    )
    _assert_problem(news_page(["Premium story."], head=head), "behind a paywall")


def test_paywall_metadata_on_a_full_article_passes() -> None:
    head = '<script type="application/ld+json">{"isAccessibleForFree": "False"}</script>'
    article = extract_html(news_page(head=head))
    assert article.paragraphs == tuple(STORY)
    assert article.extra == {}


def test_paywall_metadata_on_a_short_text_is_flagged_not_rejected() -> None:
    head = '<script type="application/ld+json">{"isAccessibleForFree": false}</script>'
    article = extract_html(news_page(STORY[:2], head=head))
    assert article.paragraphs == tuple(STORY[:2])
    assert article.extra == {"paywall": "possible teaser"}


def test_login_wall_rejected() -> None:
    html = """<html><head><title>Sign in</title></head><body>
    <h1>Sign in to read this story</h1>
    <form action="/login" method="post"><input type="email" name="email">
    <input type="password" name="password"><button>Sign in</button></form>
    </body></html>"""
    _assert_problem(html, "log in")


def test_javascript_only_page_rejected() -> None:
    html = """<!doctype html><html><head><title>News</title>
    <script src="/static/app.js"></script></head><body>
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div></body></html>"""
    _assert_problem(html, "needs JavaScript")


def test_empty_app_shell_rejected_as_javascript() -> None:
    html = """<!doctype html><html><head><title>News</title></head><body>
    <div id="__next"></div><script>self.__next_f.push([1, "..."])</script></body></html>"""
    _assert_problem(html, "needs JavaScript")


def test_too_short_page_rejected() -> None:
    html = news_page(["Page not found. The story you were looking for has moved."])
    _assert_problem(html, "no article text")


def test_empty_body_rejected() -> None:
    _assert_problem("", "no article text")


def test_footer_subscribe_link_does_not_flag_a_normal_article() -> None:
    before = '<a href="/login">Log in</a> <a href="/subscribe">Subscribe</a>'
    after = (
        '<p><a href="/subscribe">Subscribe</a> to our newsletter. Subscribers get the '
        'print edition.</p><form><input type="email"><input type="password"></form>'
        "<noscript>Please enable JavaScript for the best experience.</noscript>"
    )
    article = extract_html(news_page(before=before, after=after))
    assert article.paragraphs == tuple(STORY)


def test_short_normal_article_with_subscribe_footer_passes() -> None:
    after = '<p><a href="/subscribe">Subscribe</a> | <a href="/login">Log in</a></p>'
    article = extract_html(news_page(STORY[:2], after=after))
    assert article.paragraphs == tuple(STORY[:2])
    assert article.extra == {}


# Benchmark pages that extract well, chosen to cover distinct paths: the fallback extractor
# restoring sections precision mode skipped (wired) or replacing a near-empty result (barrons),
# scripts without spaces (Japanese, Korean), Cyrillic and Portuguese pages, ordinary news.
REGRESSION_PAGES = {
    "d48aeb9cf2": "wired: fallback adds missing sections",
    "f8ff621a0b": "barrons: fallback replaces a near-empty precision result",
    "85439e26c4": "Japanese",
    "f105de6e63": "Japanese, short",
    "0ec95c7261": "Korean",
    "3c6d3381ef": "Russian",
    "23aaecd141": "Portuguese",
    "c81e134ed4": "English local news",
    "776a1c0467": "English national news",
}


@requires_shared
@pytest.mark.parametrize("prefix", sorted(REGRESSION_PAGES))
def test_benchmark_page_regression(prefix: str) -> None:
    truth = json.loads((EXTRACTION_DIR / "ground-truth.json").read_text("utf-8"))
    (path,) = (EXTRACTION_DIR / "html").glob(f"{prefix}*.html.gz")
    expected = truth[path.name.split(".")[0]]
    article = extract_html(gzip.decompress(path.read_bytes()), url=expected["url"])
    precision, recall = page_scores(expected["articleBody"], article.text)
    assert precision is not None and recall is not None
    assert 2 * precision * recall / (precision + recall) > 0.8
