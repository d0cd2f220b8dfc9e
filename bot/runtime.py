"""Builds the pipeline's long-lived parts from settings, for the CLI, the bot and the evaluator.

One place decides which engine runs: the LLM when an API key or base URL is configured, the
offline engine otherwise (and it says so).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

from bot.analysis.analyzer import Analyzer
from bot.config import Settings
from bot.domain.usage import CallRecord
from bot.fairness import FairExecutor
from bot.ingest.fetch import SafeFetcher
from bot.ingest.loader import ArticleLoader
from bot.llm.client import LLMClient
from bot.parent_watch import exit_with_parent
from bot.store.store import Store

log = logging.getLogger("articlebot.usage")


def log_usage(record: CallRecord) -> None:
    """Every LLM call leaves a usage line in the log (the store keeps per-request totals)."""
    u = record.usage
    log.info(
        "llm call task=%s model=%s mode=%s prompt=%d completion=%d cached=%d latency_ms=%.0f",
        record.task,
        record.model,
        record.mode,
        u.prompt_tokens,
        u.completion_tokens,
        u.cached_tokens,
        record.latency_ms,
    )


@dataclass
class Runtime:
    settings: Settings
    store: Store
    fetcher: SafeFetcher
    loader: ArticleLoader
    llm: LLMClient | None
    analyzer: Analyzer

    executor: Executor | None = None

    @classmethod
    async def start(
        cls, settings: Settings, *, use_llm: bool | None = None, extract_processes: int = 0
    ) -> Runtime:
        """Open the store and build clients; `use_llm=False` forces the offline engine.

        `extract_processes` > 0 runs article extraction in that many worker processes (the bot);
        0 runs it in a thread (the CLI, where a process pool would only add start-up time).
        """
        store = await Store.open(settings.resolved_database_url)
        fetcher = SafeFetcher(settings.fetch)
        want_llm = settings.llm_configured if use_llm is None else use_llm
        llm = LLMClient(settings.llm, usage_sink=log_usage) if want_llm else None
        executor = (
            FairExecutor(
                ProcessPoolExecutor(
                    max_workers=extract_processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    # Workers exit when the bot dies, even by kill -9 (no orphans).
                    initializer=exit_with_parent,
                    initargs=(os.getpid(),),
                ),
                # One queued behind each busy worker keeps it fed; the rest wait their turn.
                limit=2 * extract_processes,
            )
            if extract_processes > 0
            else None
        )
        return cls(
            settings=settings,
            store=store,
            fetcher=fetcher,
            loader=ArticleLoader(
                settings.analysis, fetcher=fetcher, store=store, executor=executor
            ),
            llm=llm,
            analyzer=Analyzer(settings.analysis, llm=llm, store=store),
            executor=executor,
        )

    async def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        await self.fetcher.aclose()
        if self.llm is not None:
            await self.llm.aclose()
        await self.store.close()
