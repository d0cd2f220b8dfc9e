"""The analysis facade used by the CLI, the Slack bot and the evaluator.

It picks the engine (LLM when configured, else the offline engine), caches summaries by
(content hash, prompt version, model, task) so the same article twice costs no tokens, and, when
asked to, falls back to the offline engine with a clear notice if the LLM fails.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from bot.analysis.grounding import ground_answer
from bot.analysis.llm_answer import LLMAnswerer, choose_context
from bot.analysis.models import (
    AnswerDelta,
    AnswerDone,
    AnswerEvent,
    AnswerResult,
    EngineName,
    SummaryResult,
)
from bot.analysis.offline import offline_actors, offline_answer, offline_summary
from bot.analysis.quotes import QuoteVerifier
from bot.analysis.schemas import AnswerOut, QuoteClaim
from bot.analysis.summarize import SUMMARY_TEMPLATES, LLMSummarizer, PartialSink, SummaryOutcome
from bot.domain.article import Article
from bot.domain.turn import Turn
from bot.errors import LLMError
from bot.llm.client import LLMClient
from bot.metrics import OFFLINE_FALLBACKS
from bot.prompts import PromptLibrary, default_library
from bot.settings_groups import AnalysisSettings
from bot.tokens import count_tokens

log = logging.getLogger(__name__)

OFFLINE_NOTICE = (
    "Offline mode: no language model is configured, so this is an extractive result (sentences "
    "taken from the article). Set LLM_API_KEY, or LLM_BASE_URL for a local server such as "
    "Ollama, to get written summaries and answers."
)


def fallback_notice(error: LLMError) -> str:
    return (
        f"The language model failed ({error.user_message}) so this is the offline engine's "
        "extractive result instead."
    )


class ResultStore(Protocol):
    """Where finished results are cached (the store's result cache); analysis needs only this."""

    async def get_result(self, key: str) -> str | None: ...

    async def put_result(self, key: str, value: str) -> None: ...


def _reason(error: LLMError) -> str:
    return error.user_message.rstrip(".")


class Analyzer:
    """Summaries and grounded answers for articles, whichever engine is in use."""

    def __init__(
        self,
        settings: AnalysisSettings,
        *,
        llm: LLMClient | None = None,
        store: ResultStore | None = None,
        prompts: PromptLibrary | None = None,
    ) -> None:
        self.settings = settings
        self.llm = llm
        self.store = store
        self.prompts = prompts or default_library()
        if llm is not None:
            self._summarizer = LLMSummarizer(llm, self.prompts, language=settings.summary_language)
            self._answerer = LLMAnswerer(
                llm, self.prompts, context_tokens=settings.qa_context_tokens
            )

    @property
    def engine(self) -> EngineName:
        return "llm" if self.llm is not None else "offline"

    def _pick(self, engine: EngineName | None) -> EngineName:
        wanted = engine or self.engine
        if wanted == "llm" and self.llm is None:
            raise ValueError("the LLM engine was requested but no LLM is configured")
        return wanted

    # --- summaries ---------------------------------------------------------------------------

    def summary_cache_key(self, article: Article, request: str | None) -> str:
        assert self.llm is not None
        extra = hashlib.sha256(f"{self.settings.summary_language}\n{request or ''}".encode())
        return "|".join(
            (
                article.content_hash,
                self.prompts.version(*SUMMARY_TEMPLATES),
                self.llm.model,
                "summary+actors",
                extra.hexdigest()[:12],
            )
        )

    async def summarize(
        self,
        article: Article,
        *,
        request: str | None = None,
        engine: EngineName | None = None,
        fallback: bool = False,
        on_partial: PartialSink | None = None,
    ) -> SummaryResult:
        """Summary and actors. `on_partial` receives the summary as it streams (LLM, single
        pass only); cache hits, the offline engine and long articles arrive whole."""
        if self._pick(engine) == "offline":
            return self.offline_summary(article, notice=OFFLINE_NOTICE)
        key = self.summary_cache_key(article, request)
        if self.store is not None and (cached := await self.store.get_result(key)):
            result = SummaryResult.model_validate_json(cached)
            result.usage = type(result.usage)()  # a cache hit costs no tokens
            return result
        try:
            outcome = await self._summarizer.run(article, request=request, on_partial=on_partial)
        except LLMError as exc:
            if not fallback:
                raise
            log.warning("LLM summary failed, using the offline engine: %s", exc.user_message)
            OFFLINE_FALLBACKS.labels(task="summary").inc()
            result = self.offline_summary(article, notice=fallback_notice(exc))
            result.fallback = True
            return result
        if outcome.summary_error is not None or outcome.actors_error is not None:
            return self._half_result(article, outcome, fallback=fallback)
        assert outcome.summary is not None
        result = SummaryResult(
            summary=outcome.summary,
            actors=outcome.actors,
            engine="llm",
            usage=outcome.usage,
            dropped_quotes=outcome.dropped_quotes,
            coverage=outcome.coverage,
            notice=outcome.notice,
        )
        if self.store is not None:
            await self.store.put_result(key, result.model_dump_json())
        return result

    def _half_result(
        self, article: Article, outcome: SummaryOutcome, *, fallback: bool
    ) -> SummaryResult:
        """One of the two calls failed: keep the valid half and say what is missing.

        With `fallback` the missing half comes from the offline engine; without it a missing
        summary is an error (there is nothing to lead with) and missing actors are just absent.
        Never cached: the next request may get both halves."""
        offline = self.offline_summary(article, notice="") if fallback else None
        if outcome.summary_error is not None:
            if offline is None:
                raise outcome.summary_error
            summary = offline.summary
            notice = (
                f"The language model failed ({_reason(outcome.summary_error)}) on the summary, so "
                "it is the offline engine's extractive one; the key actors are the language "
                "model's."
            )
            OFFLINE_FALLBACKS.labels(task="summary").inc()
            actors, dropped = outcome.actors, outcome.dropped_quotes
        else:
            assert outcome.summary is not None and outcome.actors_error is not None
            summary = outcome.summary
            reason = _reason(outcome.actors_error)
            if offline is not None:
                actors, dropped = offline.actors, outcome.dropped_quotes + offline.dropped_quotes
                notice = (
                    f"The language model could not list the key actors ({reason}), so they are "
                    "the offline engine's."
                )
                OFFLINE_FALLBACKS.labels(task="actors").inc()
            else:
                actors, dropped = [], outcome.dropped_quotes
                notice = f"The key actors are missing: the language model failed ({reason})."
        return SummaryResult(
            summary=summary,
            actors=actors,
            # The engine of what the reply leads with: the summary.
            engine="offline" if outcome.summary_error is not None else "llm",
            usage=outcome.usage,
            dropped_quotes=dropped,
            coverage=outcome.coverage,
            notice=notice,
            fallback=offline is not None,
        )

    def offline_summary(self, article: Article, *, notice: str) -> SummaryResult:
        verifier = QuoteVerifier(article)
        actors = offline_actors(article)
        dropped = 0
        for actor in actors:  # the offline engine quotes verbatim; verify anyway, same rules
            kept, lost = verifier.verify((q.text, q.paragraph) for q in actor.quotes)
            actor.quotes, dropped = kept, dropped + lost
        return SummaryResult(
            summary=offline_summary(article),
            actors=actors,
            engine="offline",
            dropped_quotes=dropped,
            notice=notice,
        )

    # --- answers -----------------------------------------------------------------------------

    async def answer_stream(
        self,
        article: Article,
        question: str,
        *,
        turns: Sequence[Turn] = (),
        engine: EngineName | None = None,
        fallback: bool = False,
    ) -> AsyncIterator[AnswerEvent]:
        """Answer deltas as they become safe to show, then `AnswerDone`."""
        if self._pick(engine) == "offline":
            result = self.offline_answer(article, question, turns, notice=OFFLINE_NOTICE)
            yield AnswerDelta(result.answer.answer)
            yield AnswerDone(result)
            return
        streamed = False
        try:
            async for event in self._answerer.stream(article, question, turns):
                streamed = streamed or isinstance(event, AnswerDelta)
                yield event
        except LLMError as exc:
            if not fallback:
                raise
            log.warning("LLM answer failed, using the offline engine: %s", exc.user_message)
            OFFLINE_FALLBACKS.labels(task="answer").inc()
            result = self.offline_answer(article, question, turns, notice=fallback_notice(exc))
            result.fallback = True
            if not streamed:
                yield AnswerDelta(result.answer.answer)
            yield AnswerDone(result, restarted=streamed)

    async def answer(
        self,
        article: Article,
        question: str,
        *,
        turns: Sequence[Turn] = (),
        engine: EngineName | None = None,
        fallback: bool = False,
    ) -> AnswerResult:
        async for event in self.answer_stream(
            article, question, turns=turns, engine=engine, fallback=fallback
        ):
            if isinstance(event, AnswerDone):
                return event.result
        raise RuntimeError("answer stream ended without a result")

    def offline_answer(
        self, article: Article, question: str, turns: Sequence[Turn], *, notice: str
    ) -> AnswerResult:
        """The offline engine over the same context the LLM would get, verified the same way."""
        counter = self.llm.budget.count if self.llm is not None else count_tokens
        numbers = choose_context(
            article,
            question,
            turns,
            budget_tokens=self.settings.qa_context_tokens,
            count_tokens=counter,
        )
        raw = offline_answer(article, question, paragraphs=numbers)
        claim = AnswerOut(
            quotes=[QuoteClaim(text=q.text, paragraph=q.paragraph) for q in raw.quotes],
            answerable=raw.answerable,
            answer=raw.answer,
        )
        answer, dropped = ground_answer(claim, QuoteVerifier(article))
        return AnswerResult(
            answer=answer,
            engine="offline",
            dropped_quotes=dropped,
            context_paragraphs=numbers,
            notice=notice,
        )
