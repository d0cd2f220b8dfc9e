"""Sources -> Article through the real fetcher, extractor and store."""

from __future__ import annotations

import pytest

from bot.errors import BadInput, TooLarge
from bot.ingest.fetch import SafeFetcher
from bot.ingest.loader import ArticleLoader
from bot.store.store import Store
from tests.fakes.article_server import ARTICLE_TITLE, ArticleServer, make_pdf
from tests.shared_data import SAMPLE_ARTICLE


@pytest.fixture
async def loader_for(make_settings):
    opened: list[tuple[SafeFetcher, Store]] = []

    async def build(**overrides: object) -> ArticleLoader:
        settings = make_settings(**overrides)
        store = await Store.open(settings.resolved_database_url)
        fetcher = SafeFetcher(settings.fetch)
        opened.append((fetcher, store))
        return ArticleLoader(settings.analysis, fetcher=fetcher, store=store)

    yield build
    for fetcher, store in opened:
        await fetcher.aclose()
        await store.close()


async def test_same_link_twice_is_fetched_once(loader_for) -> None:
    loader = await loader_for()
    with ArticleServer() as web:
        first = await loader.load_url(web.url("/article?utm_source=slack"))
        second = await loader.load_url(web.url("/article#comments"))
        fetched = [r for r in web.requests if r.path.startswith("/article")]
    assert first.title == ARTICLE_TITLE and second == first
    assert len(fetched) == 1, "normalised URL hits the article cache"


async def test_article_over_the_word_limit_is_refused(loader_for) -> None:
    loader = await loader_for(article_max_words=100)
    with pytest.raises(TooLarge, match="too long"):
        await loader.load_path(SAMPLE_ARTICLE)


async def test_uploaded_pdf_and_empty_file(loader_for) -> None:
    loader = await loader_for()
    pdf = make_pdf("Harbour report", ["First paragraph of the report has enough words. " * 8] * 3)
    article = await loader.load_bytes(pdf, name="report.pdf")
    assert article.source_kind == "pdf" and article.words > 100
    with pytest.raises(BadInput, match="empty"):
        await loader.load_bytes(b"   ", name="empty.txt")


async def test_pasted_text(loader_for) -> None:
    loader = await loader_for()
    article = await loader.load_text(SAMPLE_ARTICLE.read_text())
    assert article.source_kind == "pasted" and len(article.paragraphs) >= 13


async def test_unnamed_upload_is_typed_from_its_bytes(loader_for) -> None:
    loader = await loader_for()
    latin1 = SAMPLE_ARTICLE.read_text().replace("—", "-").encode("latin-1", errors="replace")
    article = await loader.load_bytes(latin1, name="stdin")  # not UTF-8, still text
    assert article.words > 500
    html = b"<body><article><h1>Harbour news</h1>" + b"<p>The council met today.</p>" * 40
    assert (await loader.load_bytes(html, name="stdin")).source_kind == "html"
    with pytest.raises(BadInput):
        await loader.load_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200), name="stdin")
