"""Accounting for one LLM call: tokens (as reported, else estimated), metrics, the usage sink.

Kept apart from the client so the numbers that feed cost estimates (`articlebot eval`), the
store and Prometheus come from one place, and a failing sink never fails a call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from openai.types.completion_usage import CompletionUsage

from bot.domain.usage import CallRecord, Usage
from bot.llm.budget import TokenBudget
from bot.metrics import LLM_TOKENS

log = logging.getLogger(__name__)


class UsageRecorder:
    """Turns each finished call into a `Usage`, counts it and hands it to the sink."""

    def __init__(
        self, model: str, budget: TokenBudget, sink: Callable[[CallRecord], None] | None
    ) -> None:
        self.model = model
        self.budget = budget
        self.sink = sink

    def record(
        self,
        *,
        task: str,
        mode: str,
        messages: list[dict[str, str]],
        reply_text: str,
        reported: CompletionUsage | None,
        latency_ms: float,
        streamed: bool,
    ) -> Usage:
        """This call's usage (estimated if the server reported none), counted everywhere."""
        call = self._usage_of(reported, messages, reply_text)
        LLM_TOKENS.labels(kind="prompt").inc(call.prompt_tokens)
        LLM_TOKENS.labels(kind="completion").inc(call.completion_tokens)
        LLM_TOKENS.labels(kind="cached").inc(call.cached_tokens)
        log.debug(
            "LLM call task=%s mode=%s prompt=%d completion=%d cached=%d latency=%.0fms",
            task,
            mode,
            call.prompt_tokens,
            call.completion_tokens,
            call.cached_tokens,
            latency_ms,
        )
        if self.sink is not None:
            record = CallRecord(
                task=task,
                model=self.model,
                usage=call,
                latency_ms=latency_ms,
                mode=mode,
                streamed=streamed,
            )
            try:
                self.sink(record)
            except Exception:
                log.exception("usage sink failed; the call itself succeeded")
        return call

    def _usage_of(
        self, reported: CompletionUsage | None, messages: list[dict[str, str]], text: str
    ) -> Usage:
        if reported is None:
            return Usage(
                calls=1,
                prompt_tokens=self.budget.count_messages(messages),
                completion_tokens=self.budget.count(text),
            )
        details = reported.prompt_tokens_details
        return Usage(
            calls=1,
            prompt_tokens=reported.prompt_tokens or 0,
            completion_tokens=reported.completion_tokens or 0,
            cached_tokens=(details.cached_tokens or 0) if details is not None else 0,
        )
