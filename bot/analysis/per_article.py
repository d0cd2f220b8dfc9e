"""Derived data per article (sentence splits, BM25 indexes), built once and reused.

Follow-up questions in a thread hit the same article again and again; rebuilding its indexes
for each would dominate the offline engine's time. Thread-safe (extraction and analysis may run
in worker threads); keeps the most recently used articles only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from bot.domain.article import Article

T = TypeVar("T")


class PerArticle(Generic[T]):
    def __init__(self, build: Callable[[Article], T], *, size: int = 16) -> None:
        self._build = build
        self._size = size
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, T] = OrderedDict()

    def __call__(self, article: Article) -> T:
        key = article.content_hash or str(hash(article.paragraphs))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        built = self._build(article)  # outside the lock: building can take milliseconds
        with self._lock:
            self._cache[key] = built
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return built
