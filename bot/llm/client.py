"""The LLM client: validated structured replies from any OpenAI-compatible server.

A facade over modules with one job each: `transport` (HTTP, time bounds, retries, malformed
replies), `protocol` (how to ask this server for JSON: schema placement, system role, stream
options, learned per server) and `accounting` (tokens, metrics, the usage sink). Here: the
token budget check, validation with one repair, streamed partials and the user-facing errors
of `bot.errors`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx2
import openai
from pydantic import BaseModel

from bot.domain.usage import CallRecord, Usage
from bot.errors import LLMInvalidOutput, LLMTruncated, LLMUnavailable
from bot.fairness import FairLimiter
from bot.llm.accounting import UsageRecorder
from bot.llm.budget import TokenBudget
from bot.llm.protocol import Renegotiate, Request, StructuredProtocol
from bot.llm.retry import RetryPolicy, server_message, to_user_error
from bot.llm.structured import InvalidReply, is_blank, parse_reply, partial_object
from bot.llm.transport import RawReply, Rejection, Transport
from bot.metrics import LLM_LATENCY
from bot.prompts import PromptLibrary, default_library
from bot.settings_groups import LLMSettings

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, llama.cpp, vLLM) ignore the key, but the openai package needs one.
PLACEHOLDER_API_KEY = "sk-no-key-required"
# Shorter values (`LLM_API_KEY=x` for a local server) are not secrets: redacting them would
# garble every log line that happens to contain the letter.
MIN_SECRET_LENGTH = 8
# Protocol changes (schema ladder, system role, stream options) one call may go through.
_MAX_RENEGOTIATIONS = 6


@dataclass
class Completion(Generic[T]):
    """A validated reply; `usage` sums every HTTP call it took (a repair included)."""

    value: T
    usage: Usage
    mode: str  # "json_schema" | "json_object" | "json_object_plain" | "none"


@dataclass
class StreamUpdate(Generic[T]):
    """Progress of a streamed reply; only the last update carries the validated completion."""

    partial: dict[str, Any]
    completion: Completion[T] | None = None


def uses_max_completion_tokens(base_url: str | None) -> bool:
    """OpenAI and Azure want `max_completion_tokens`; other servers understand `max_tokens`."""
    if not base_url:
        return True
    host = (httpx2.URL(base_url).host or "").lower()
    return host == "openai.com" or host.endswith((".openai.com", ".azure.com"))


def secret_pattern(secret: str) -> re.Pattern[str] | None:
    """Where a secret may occur as itself (never inside a longer word); None if too short."""
    if len(secret) < MIN_SECRET_LENGTH:
        return None
    return re.compile(r"(?<![\w-])" + re.escape(secret) + r"(?![\w-])")


class LLMClient:
    """Structured completions (`complete`) and streamed ones (`stream`) for one model."""

    def __init__(
        self,
        settings: LLMSettings,
        *,
        usage_sink: Callable[[CallRecord], None] | None = None,
        prompts: PromptLibrary | None = None,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        if not settings.configured:
            raise LLMUnavailable(
                "No language model is configured (set LLM_API_KEY or LLM_BASE_URL)."
            )
        self.settings = settings
        self.model = settings.model
        self.budget = TokenBudget(settings.model, settings.context_window, settings.output_reserve)
        self._prompts = prompts or default_library()
        self._usage = UsageRecorder(self.model, self.budget, usage_sink)
        secret = settings.api_key.get_secret_value() if settings.api_key else ""
        self._secret = secret_pattern(secret)
        base_url = settings.base_url or OPENAI_BASE_URL
        self._host = httpx2.URL(base_url).host or "the configured address"
        openai_host = uses_max_completion_tokens(settings.base_url)
        self._limit_param = "max_completion_tokens" if openai_host else "max_tokens"
        self._semaphore: FairLimiter | None = None
        self._semaphore_loop: asyncio.AbstractEventLoop | None = None
        self._owns_http_client = http_client is None
        timeout = settings.timeout_seconds
        self._transport = Transport(
            openai.AsyncOpenAI(
                api_key=secret or PLACEHOLDER_API_KEY,
                base_url=base_url,
                timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
                max_retries=0,  # our RetryPolicy decides
                http_client=http_client,
            ),
            timeout=timeout,
            retry=RetryPolicy(max_retries=settings.max_retries),
            slot=self._slot,
        )
        self._protocol = StructuredProtocol(
            key=(base_url.rstrip("/"), settings.model),
            structured_mode=settings.structured_mode,
            system_role=settings.system_role,
            prompts=self._prompts,
            redact=self._redact,
            host=self._host,
        )

    @property
    def mode(self) -> str:
        """The structured-output mode the next call will use."""
        return self._protocol.traits.mode

    @property
    def system_role(self) -> str:
        """Where the next call puts the rules: "system" or "user"."""
        return self._protocol.traits.system_role

    async def aclose(self) -> None:
        if self._owns_http_client:
            await self._transport.aclose()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- public calls ---------------------------------------------------------------------

    async def complete(
        self,
        schema: type[T],
        messages: list[dict[str, str]],
        *,
        task: str,
        max_output_tokens: int | None = None,
    ) -> Completion[T]:
        """One validated reply for `schema` (`task` names the schema, e.g. "summary")."""
        start = time.perf_counter()
        try:
            usage = Usage()
            reply, request = await self._complete_once(
                schema, messages, task, max_output_tokens, usage
            )
            return await self._validated(
                schema, messages, task, max_output_tokens, usage, reply, request
            )
        finally:
            LLM_LATENCY.labels(task=task).observe(time.perf_counter() - start)

    async def stream(
        self,
        schema: type[T],
        messages: list[dict[str, str]],
        *,
        task: str,
        max_output_tokens: int | None = None,
    ) -> AsyncIterator[StreamUpdate[T]]:
        """Partial objects as the reply arrives, then one update with the validated completion."""
        start = time.perf_counter()
        try:
            usage = Usage()
            reply: tuple[RawReply, Request] | None = None
            async for item in self._stream_once(schema, messages, task, max_output_tokens, usage):
                if isinstance(item, tuple):
                    reply = item
                else:
                    yield StreamUpdate(partial=item)
            if reply is None:  # pragma: no cover - _stream_once always ends with one or raises
                raise LLMInvalidOutput("The language model returned no answer.")
            done = await self._validated(
                schema, messages, task, max_output_tokens, usage, reply[0], reply[1]
            )
            yield StreamUpdate(partial=done.value.model_dump(mode="json"), completion=done)
        finally:
            LLM_LATENCY.labels(task=task).observe(time.perf_counter() - start)

    def prompt_tokens(
        self, schema: type[BaseModel], messages: list[dict[str, str]], *, task: str
    ) -> int:
        """Prompt tokens of this request as the budget check counts them (schema included),
        so callers can size article chunks before building the real request."""
        return self.budget.count_messages(self._protocol.counted_messages(schema, messages, task))

    # --- one exchange -----------------------------------------------------------------------

    async def _validated(
        self,
        schema: type[T],
        messages: list[dict[str, str]],
        task: str,
        max_output_tokens: int | None,
        usage: Usage,
        reply: RawReply,
        request: Request,
    ) -> Completion[T]:
        """Parse the reply; on failure ask once for a corrected one (never streamed).

        A blank reply (every field empty) while the rules travelled in a system message is
        what a chat template that drops system messages produces: in `auto` placement the call
        is made once more with the rules in the user message, and that is remembered."""
        try:
            value = parse_reply(schema, reply.text)
        except InvalidReply as err:
            log.warning("LLM reply for %s was invalid (%s); asking for a repair", task, err.detail)
            repair = self._protocol.repair_messages(messages, reply.text, task, err.detail, schema)
            return await self._repaired(schema, repair, task, max_output_tokens, usage)
        if is_blank(value) and self._protocol.blank_reply(request):
            log.warning(
                "LLM reply for %s was blank: the server's chat template may drop system "
                "messages; the rules go in the user message from now on",
                task,
            )
            reply, request = await self._complete_once(
                schema, messages, task, max_output_tokens, usage
            )
            return await self._validated(
                schema, messages, task, max_output_tokens, usage, reply, request
            )
        return Completion(value, usage, request.mode)

    async def _repaired(
        self,
        schema: type[T],
        messages: list[dict[str, str]],
        task: str,
        max_output_tokens: int | None,
        usage: Usage,
    ) -> Completion[T]:
        reply, request = await self._complete_once(schema, messages, task, max_output_tokens, usage)
        try:
            return Completion(parse_reply(schema, reply.text), usage, request.mode)
        except InvalidReply as err:
            log.warning("LLM repair for %s was invalid too (%s)", task, err.detail)
            raise LLMInvalidOutput(
                "The language model's answer was not in the expected format, even after a retry."
            ) from None

    def _request(
        self,
        schema: type[BaseModel],
        messages: list[dict[str, str]],
        task: str,
        max_output_tokens: int | None,
    ) -> Request:
        """Request for the current traits, after checking the budget (raises BudgetExceeded)."""
        limit = max_output_tokens or self.settings.output_reserve
        request = self._protocol.build(schema, messages, task, limit, self._limit_param)
        self.budget.check(request.counted, limit)
        request.kwargs["model"] = self.model
        if self.settings.temperature is not None:
            request.kwargs["temperature"] = self.settings.temperature
        return request

    async def _complete_once(
        self,
        schema: type[BaseModel],
        messages: list[dict[str, str]],
        task: str,
        max_output_tokens: int | None,
        usage: Usage,
    ) -> tuple[RawReply, Request]:
        for _ in range(_MAX_RENEGOTIATIONS):
            request = self._request(schema, messages, task, max_output_tokens)
            try:
                reply = await self._transport.complete(
                    request.kwargs,
                    task=task,
                    rejection=self._rejection(request),
                    give_up=self._user_error,
                )
            except Renegotiate:
                continue
            self._record(task, request, reply, usage)
            return self._finish(reply), request
        raise LLMUnavailable("The language model server refused every request format we know.")

    async def _stream_once(
        self,
        schema: type[BaseModel],
        messages: list[dict[str, str]],
        task: str,
        max_output_tokens: int | None,
        usage: Usage,
    ) -> AsyncIterator[dict[str, Any] | tuple[RawReply, Request]]:
        for _ in range(_MAX_RENEGOTIATIONS):
            request = self._request(schema, messages, task, max_output_tokens)
            with_usage = self._protocol.traits.stream_usage
            if with_usage:
                request.kwargs["stream_options"] = {"include_usage": True}
            text, last = "", None
            try:
                async for item in self._transport.stream(
                    request.kwargs,
                    task=task,
                    rejection=self._rejection(request, stream_options=with_usage),
                    give_up=self._user_error,
                ):
                    if isinstance(item, RawReply):
                        self._record(task, request, item, usage, streamed=True)
                        yield self._finish(item), request
                        return
                    text += item
                    partial = partial_object(text)
                    if partial is not None and partial != last:
                        last = partial
                        yield partial
            except Renegotiate:
                continue
        raise LLMUnavailable("The language model server refused every request format we know.")

    def _rejection(self, request: Request, *, stream_options: bool = False) -> Rejection:
        """How the transport tells a protocol refusal of `request` from an ordinary failure."""

        def judge(exc: openai.APIStatusError) -> BaseException | None:
            return self._protocol.rejection(exc, request, stream_options=stream_options)

        return judge

    @staticmethod
    def _finish(reply: RawReply) -> RawReply:
        if reply.refusal:
            raise LLMInvalidOutput("The language model declined to answer this request.")
        if reply.finish_reason == "length":
            raise LLMTruncated(
                "The language model ran out of output tokens before finishing its answer."
            )
        if reply.finish_reason == "content_filter":
            raise LLMInvalidOutput("The language model's content filter blocked the answer.")
        return reply

    def _record(
        self,
        task: str,
        request: Request,
        reply: RawReply,
        total: Usage,
        *,
        streamed: bool = False,
    ) -> None:
        """Add one call's usage to `total` (and to metrics and the sink)."""
        total.add(
            self._usage.record(
                task=task,
                mode=request.mode,
                messages=request.kwargs["messages"],
                reply_text=reply.text,
                reported=reply.usage,
                latency_ms=reply.latency_ms,
                streamed=streamed,
            )
        )

    # --- concurrency, errors -----------------------------------------------------------------

    def _slot(self) -> FairLimiter:
        """The concurrency bound, created in (and re-created for) the running loop; waiting
        calls are served round robin by requester (`bot/fairness.py`), not first come."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = FairLimiter(self.settings.max_concurrency)
            self._semaphore_loop = loop
        return self._semaphore

    def _redact(self, text: str) -> str:
        return self._secret.sub("[redacted]", text) if self._secret else text

    def _user_error(self, exc: Exception, attempts: int, retry_after: float | None) -> Exception:
        if isinstance(exc, openai.APIStatusError):
            log.warning("LLM server said: %s", server_message(exc, self._redact))
        return to_user_error(
            exc,
            model=self.model,
            host=self._host,
            attempts=attempts,
            timeout=self.settings.timeout_seconds,
            redact=self._redact,
            retry_after=retry_after,
        )
