"""Any source -> `Article`: URLs (safe fetch, cached), files, stdin, pasted text, uploads.

Extraction is CPU-bound (trafilatura, pypdf: mostly Python, holding the GIL), so it runs in an
executor. The CLI uses a thread; the Slack bot passes a process pool, so that parsing a big
page never delays the acknowledgements Slack is waiting for.
"""

from __future__ import annotations

import asyncio
import functools
import mimetypes
from concurrent.futures import Executor
from pathlib import Path
from typing import Protocol

from bot.domain.article import Article
from bot.errors import BadInput, TooLarge
from bot.ingest.extract import extract_document, extract_text
from bot.ingest.fetch import SafeFetcher
from bot.ingest.sniff import SNIFF_BYTES, sniff_type
from bot.ingest.urls import normalize_url
from bot.settings_groups import AnalysisSettings

_SUFFIX_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".pdf": "application/pdf",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".text": "text/plain",
}
# Re-fetch a URL after this long: articles get corrected and updated.
URL_CACHE_SECONDS = 6 * 3600


READABLE_SUFFIXES = frozenset(_SUFFIX_TYPES)


def type_of_upload(body: bytes, name: str = "") -> str:
    """Content type from a file name, else from the first bytes.

    Bytes that are not valid UTF-8 are still offered as text: the text extractor decodes other
    charsets (latin-1 files, stdin) and refuses real binary itself.
    """
    suffix = Path(name).suffix.lower()
    if suffix in _SUFFIX_TYPES:
        return _SUFFIX_TYPES[suffix]
    sniffed = sniff_type(body[:SNIFF_BYTES], len(body) <= SNIFF_BYTES)
    if sniffed != "text/plain" and sniffed != "application/octet-stream":
        return sniffed
    guessed, _ = mimetypes.guess_type(name) if name else (None, None)
    return guessed or "text/plain"


class ArticleStore(Protocol):
    """Where loaded articles are kept (the store's article cache); ingest needs only this."""

    async def get_article_for_url(
        self, normalized_url: str, *, max_age_s: float | None = None
    ) -> Article | None: ...

    async def put_article(self, article: Article, *, normalized_url: str | None = None) -> None: ...


class ArticleLoader:
    def __init__(
        self,
        settings: AnalysisSettings,
        *,
        fetcher: SafeFetcher,
        store: ArticleStore | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.store = store
        self.executor = executor

    async def _extract(self, body: bytes, content_type: str, **kw: str | None) -> Article:
        call = functools.partial(extract_document, body, content_type, **kw)
        if self.executor is None:
            return await asyncio.to_thread(call)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    def check_size(self, article: Article) -> Article:
        limit = self.settings.article_max_words
        if article.words > limit:
            raise TooLarge(
                f"That article is too long for me ({article.words:,} words; the limit is "
                f"{limit:,})."
            )
        return article

    async def load_url(self, url: str) -> Article:
        key = normalize_url(url)
        if self.store is not None:
            cached = await self.store.get_article_for_url(key, max_age_s=URL_CACHE_SECONDS)
            if cached is not None:
                return cached
        doc = await self.fetcher.fetch(url)
        article = await self._extract(
            doc.body, doc.content_type, url=doc.final_url, charset=doc.charset
        )
        article = self.check_size(article)
        if self.store is not None:
            await self.store.put_article(article, normalized_url=key)
        return article

    async def load_bytes(
        self,
        body: bytes,
        *,
        name: str = "",
        content_type: str | None = None,
        url: str | None = None,
    ) -> Article:
        """An uploaded file or stdin: the type comes from the name or the bytes."""
        if not body.strip():
            raise BadInput("That file is empty.")
        kind = content_type if content_type and content_type != "application/octet-stream" else None
        article = await self._extract(body, kind or type_of_upload(body, name), url=url)
        return await self._remember(self.check_size(article))

    async def load_path(self, path: Path) -> Article:
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise BadInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
        return await self.load_bytes(body, name=path.name)

    async def load_text(self, text: str) -> Article:
        """Pasted text: the article itself."""
        article = extract_text(text, kind="pasted")
        return await self._remember(self.check_size(article))

    async def _remember(self, article: Article) -> Article:
        if self.store is not None:
            await self.store.put_article(article)
        return article
