"""The LLM client: structured Chat Completions against any OpenAI-compatible server.

One class hides the differences that matter in practice: OpenAI enforces a JSON schema while
llama.cpp only knows `json_object` (we fall back once and remember), servers name the output
limit differently, some refuse `stream_options`. Every reply is validated with pydantic and
repaired at most once; failures become the user-facing errors of `bot.errors`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx2
import openai
from openai.types.completion_usage import CompletionUsage
from pydantic import BaseModel

from bot.config import Settings
from bot.errors import LLMInvalidOutput, LLMTruncated, LLMUnavailable
from bot.fairness import FairLimiter
from bot.llm.budget import TokenBudget
from bot.llm.retry import (
    RetryPolicy,
    describe,
    is_retryable,
    parse_retry_after,
    server_message,
    to_user_error,
)
from bot.llm.structured import (
    InvalidReply,
    is_json_schema_rejection,
    is_stream_options_rejection,
    parse_reply,
    partial_object,
    schema_text,
    strict_schema,
)
from bot.llm.usage import CallRecord, Usage
from bot.prompts import PromptLibrary, default_library

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, llama.cpp, vLLM) ignore the key, but the openai package needs one.
PLACEHOLDER_API_KEY = "sk-no-key-required"
JSON_SCHEMA, JSON_OBJECT = "json_schema", "json_object"


@dataclass
class Completion(Generic[T]):
    """A validated reply; `usage` sums every HTTP call it took (a repair included)."""

    value: T
    usage: Usage
    mode: str  # "json_schema" | "json_object"


@dataclass
class StreamUpdate(Generic[T]):
    """Progress of a streamed reply; only the last update carries the validated completion."""

    partial: dict[str, Any]
    completion: Completion[T] | None = None


@dataclass
class _Reply:
    text: str
    mode: str


class _SchemaRejected(Exception):
    """The server does not support `response_format: json_schema`."""


class _StreamOptionsRejected(Exception):
    """The server does not accept `stream_options`."""


def uses_max_completion_tokens(base_url: str | None) -> bool:
    """OpenAI and Azure want `max_completion_tokens`; other servers understand `max_tokens`."""
    if not base_url:
        return True
    host = (httpx2.URL(base_url).host or "").lower()
    return host == "openai.com" or host.endswith((".openai.com", ".azure.com"))


class LLMClient:
    """Structured completions (`complete`) and streamed ones (`stream`) for one model."""

    def __init__(
        self,
        settings: Settings,
        *,
        usage_sink: Callable[[CallRecord], None] | None = None,
        prompts: PromptLibrary | None = None,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        if not settings.llm_configured:
            raise LLMUnavailable(
                "No language model is configured (set LLM_API_KEY or LLM_BASE_URL)."
            )
        self.settings = settings
        self.model = settings.llm_model
        self.budget = TokenBudget(
            settings.llm_model, settings.llm_context_window, settings.llm_output_reserve
        )
        self._prompts = prompts or default_library()
        self._usage_sink = usage_sink
        self._secret = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        base_url = settings.llm_base_url or OPENAI_BASE_URL
        self._host = httpx2.URL(base_url).host or "the configured address"
        openai_host = uses_max_completion_tokens(settings.llm_base_url)
        self._limit_param = "max_completion_tokens" if openai_host else "max_tokens"
        self._mode = JSON_OBJECT if settings.llm_structured_mode == JSON_OBJECT else JSON_SCHEMA
        self._stream_usage = True
        self._retry = RetryPolicy(max_retries=settings.llm_max_retries)
        self._semaphore: FairLimiter | None = None
        self._semaphore_loop: asyncio.AbstractEventLoop | None = None
        self._owns_http_client = http_client is None
        timeout = settings.llm_timeout_seconds
        self._openai = openai.AsyncOpenAI(
            api_key=self._secret or PLACEHOLDER_API_KEY,
            base_url=base_url,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
            max_retries=0,  # our RetryPolicy decides
            http_client=http_client,
        )

    @property
    def mode(self) -> str:
        """The structured-output mode the next call will use."""
        return self._mode

    async def aclose(self) -> None:
        if self._owns_http_client:
            await self._openai.close()

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
        usage = Usage()
        reply = await self._complete_once(schema, messages, task, max_output_tokens, usage)
        return await self._validated(schema, messages, task, max_output_tokens, usage, reply)

    async def stream(
        self,
        schema: type[T],
        messages: list[dict[str, str]],
        *,
        task: str,
        max_output_tokens: int | None = None,
    ) -> AsyncIterator[StreamUpdate[T]]:
        """Partial objects as the reply arrives, then one update with the validated completion."""
        usage = Usage()
        reply: _Reply | None = None
        async for item in self._stream_once(schema, messages, task, max_output_tokens, usage):
            if isinstance(item, _Reply):
                reply = item
            else:
                yield StreamUpdate(partial=item)
        if reply is None:  # pragma: no cover - _stream_once always ends with a reply or raises
            raise LLMInvalidOutput("The language model returned no answer.")
        done = await self._validated(schema, messages, task, max_output_tokens, usage, reply)
        yield StreamUpdate(partial=done.value.model_dump(mode="json"), completion=done)

    # --- one exchange -----------------------------------------------------------------------

    async def _validated(
        self,
        schema: type[T],
        messages: list[dict[str, str]],
        task: str,
        max_output_tokens: int | None,
        usage: Usage,
        reply: _Reply,
    ) -> Completion[T]:
        """Parse the reply; on failure ask once for a corrected one (never streamed)."""
        try:
            return Completion(parse_reply(schema, reply.text), usage, reply.mode)
        except InvalidReply as err:
            log.warning("LLM reply for %s was invalid (%s); asking for a repair", task, err.detail)
            repair = self._prompts.render("repair", task=task, error=err.detail)
            messages = [
                *messages,
                {"role": "assistant", "content": reply.text},
                {"role": "user", "content": repair},
            ]
        reply = await self._complete_once(schema, messages, task, max_output_tokens, usage)
        try:
            return Completion(parse_reply(schema, reply.text), usage, reply.mode)
        except InvalidReply as err:
            log.warning("LLM repair for %s was invalid too (%s)", task, err.detail)
            raise LLMInvalidOutput(
                "The language model's answer was not in the expected format, even after a retry."
            ) from None

    async def _complete_once(
        self,
        schema: type[BaseModel],
        messages: list[dict[str, str]],
        task: str,
        max_output_tokens: int | None,
        usage: Usage,
    ) -> _Reply:
        while True:
            mode = self._mode
            kwargs = self._request(schema, messages, task, mode, max_output_tokens)
            try:
                response, latency_ms = await self._with_retries(
                    lambda kwargs=kwargs: self._create(kwargs), task=task, mode=mode
                )
            except _SchemaRejected:
                continue
            content = response.choices[0].message.content if response.choices else None
            self._record(task, mode, response.usage, latency_ms, kwargs, content or "", usage)
            if not response.choices:
                raise LLMInvalidOutput("The language model returned no answer.")
            choice = response.choices[0]
            return self._finish(choice.finish_reason, content, choice.message.refusal, mode)

    async def _create(self, kwargs: dict[str, Any]) -> tuple[Any, float]:
        async with self._slot():
            start = time.perf_counter()
            response = await self._openai.chat.completions.create(**kwargs)
            return response, (time.perf_counter() - start) * 1000

    async def _stream_once(
        self,
        schema: type[BaseModel],
        messages: list[dict[str, str]],
        task: str,
        max_output_tokens: int | None,
        usage: Usage,
    ) -> AsyncIterator[dict[str, Any] | _Reply]:
        while True:
            mode, with_usage = self._mode, self._stream_usage
            kwargs = self._request(schema, messages, task, mode, max_output_tokens)
            kwargs["stream"] = True
            if with_usage:
                kwargs["stream_options"] = {"include_usage": True}
            try:
                stream, slot, start = await self._with_retries(
                    lambda kwargs=kwargs: self._open_stream(kwargs),
                    task=task,
                    mode=mode,
                    stream_options=with_usage,
                )
            except _SchemaRejected:
                continue
            except _StreamOptionsRejected:
                log.warning("LLM server at %s refuses stream_options; not asking again", self._host)
                self._stream_usage = False
                continue
            break

        parts: list[str] = []
        finish: str | None = None
        refusal: list[str] = []
        api_usage: CompletionUsage | None = None
        last: dict[str, Any] | None = None
        async with slot:
            try:
                async for chunk in stream:
                    if chunk.usage is not None:
                        api_usage = chunk.usage
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    finish = choice.finish_reason or finish
                    if choice.delta.refusal:
                        refusal.append(choice.delta.refusal)
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        partial = partial_object("".join(parts))
                        if partial is not None and partial != last:
                            last = partial
                            yield partial
            except openai.OpenAIError as exc:
                log.warning("LLM stream for %s broke off: %s", task, describe(exc))
                raise self._user_error(exc, attempts=1) from None
        text = "".join(parts)
        latency_ms = (time.perf_counter() - start) * 1000
        self._record(task, mode, api_usage, latency_ms, kwargs, text, usage, streamed=True)
        yield self._finish(finish, text, "".join(refusal), mode)

    async def _open_stream(self, kwargs: dict[str, Any]) -> tuple[Any, AsyncExitStack, float]:
        """Open a stream holding a concurrency slot; the caller closes the returned stack."""
        slot = AsyncExitStack()
        await slot.enter_async_context(self._slot())
        try:
            start = time.perf_counter()
            stream = await self._openai.chat.completions.create(**kwargs)
        except BaseException:
            await slot.aclose()
            raise
        slot.push_async_callback(stream.close)
        return stream, slot, start

    # --- request building and reading ------------------------------------------------------

    def prompt_tokens(
        self, schema: type[BaseModel], messages: list[dict[str, str]], *, task: str
    ) -> int:
        """Prompt tokens of this request as the budget check counts them (schema included),
        so callers can size article chunks before building the real request."""
        return self.budget.count_messages(self._prepare(schema, messages, task, self._mode)[2])

    def _prepare(
        self, schema: type[BaseModel], messages: list[dict[str, str]], task: str, mode: str
    ) -> tuple[list[dict[str, str]], dict[str, Any], list[dict[str, str]]]:
        """(messages to send, response_format, messages to count) for `mode`."""
        if mode == JSON_SCHEMA:
            response_format: dict[str, Any] = {
                "type": JSON_SCHEMA,
                "json_schema": {"name": task, "strict": True, "schema": strict_schema(schema)},
            }
            # The server turns the schema into prompt tokens too; count it.
            counted = [*messages, {"role": "system", "content": schema_text(schema)}]
            return list(messages), response_format, counted
        instruction = self._prompts.render("json_mode", task=task, schema=schema_text(schema))
        at = next((i for i, m in enumerate(messages) if m.get("role") != "system"), 0)
        sent = [*messages[:at], {"role": "system", "content": instruction}, *messages[at:]]
        return sent, {"type": JSON_OBJECT}, sent

    def _request(
        self,
        schema: type[BaseModel],
        messages: list[dict[str, str]],
        task: str,
        mode: str,
        max_output_tokens: int | None,
    ) -> dict[str, Any]:
        """Request arguments for `mode`, after checking the token budget (raises BudgetExceeded)."""
        limit = max_output_tokens or self.settings.llm_output_reserve
        sent, response_format, counted = self._prepare(schema, messages, task, mode)
        self.budget.check(counted, limit)
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": sent,
            "response_format": response_format,
            self._limit_param: limit,
        }
        if self.settings.llm_temperature is not None:
            kwargs["temperature"] = self.settings.llm_temperature
        return kwargs

    @staticmethod
    def _finish(
        finish_reason: str | None, content: str | None, refusal: str | None, mode: str
    ) -> _Reply:
        if refusal:
            raise LLMInvalidOutput("The language model declined to answer this request.")
        if finish_reason == "length":
            raise LLMTruncated(
                "The language model ran out of output tokens before finishing its answer."
            )
        if finish_reason == "content_filter":
            raise LLMInvalidOutput("The language model's content filter blocked the answer.")
        return _Reply(content or "", mode)

    def _record(
        self,
        task: str,
        mode: str,
        api_usage: CompletionUsage | None,
        latency_ms: float,
        kwargs: dict[str, Any],
        text: str,
        total: Usage,
        *,
        streamed: bool = False,
    ) -> None:
        """Add one call's usage to `total` and hand it to the sink (estimated if not reported)."""
        if api_usage is not None:
            details = api_usage.prompt_tokens_details
            call = Usage(
                calls=1,
                prompt_tokens=api_usage.prompt_tokens or 0,
                completion_tokens=api_usage.completion_tokens or 0,
                cached_tokens=(details.cached_tokens or 0) if details is not None else 0,
            )
        else:
            call = Usage(
                calls=1,
                prompt_tokens=self.budget.count_messages(kwargs["messages"]),
                completion_tokens=self.budget.count(text),
            )
        total.add(call)
        log.debug(
            "LLM call task=%s mode=%s prompt=%d completion=%d cached=%d latency=%.0fms",
            task,
            mode,
            call.prompt_tokens,
            call.completion_tokens,
            call.cached_tokens,
            latency_ms,
        )
        if self._usage_sink is None:
            return
        record = CallRecord(
            task=task,
            model=self.model,
            usage=call,
            latency_ms=latency_ms,
            mode=mode,
            streamed=streamed,
        )
        try:
            self._usage_sink(record)
        except Exception:
            log.exception("usage sink failed; the call itself succeeded")

    # --- retries, concurrency, errors --------------------------------------------------------

    def _slot(self) -> FairLimiter:
        """The concurrency bound, created in (and re-created for) the running loop; waiting
        calls are served round robin by requester (`bot/fairness.py`), not first come."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = FairLimiter(self.settings.llm_max_concurrency)
            self._semaphore_loop = loop
        return self._semaphore

    async def _with_retries(
        self,
        call: Callable[[], Awaitable[R]],
        *,
        task: str,
        mode: str,
        stream_options: bool = False,
    ) -> R:
        """Run `call` under the retry policy; raise the user-facing error when giving up."""
        attempt = 0
        while True:
            try:
                return await call()
            except openai.APIStatusError as exc:
                if mode == JSON_SCHEMA and is_json_schema_rejection(exc):
                    forced = self._reject_json_schema(exc)
                    raise (forced or _SchemaRejected()) from None
                if stream_options and is_stream_options_rejection(exc):
                    raise _StreamOptionsRejected from None
                failure: openai.OpenAIError = exc
            except openai.OpenAIError as exc:
                failure = exc
            retry_after = (
                parse_retry_after(failure.response.headers)
                if isinstance(failure, openai.APIStatusError)
                else None
            )
            delay = None
            if is_retryable(failure) and attempt < self._retry.max_retries:
                delay = self._retry.delay(attempt, retry_after)
            if delay is None:
                log.warning(
                    "LLM call for %s failed: %s%s (attempt %d)",
                    task,
                    describe(failure),
                    self._server_note(failure),
                    attempt + 1,
                )
                raise self._user_error(failure, attempts=attempt + 1, retry_after=retry_after)
            attempt += 1
            log.warning(
                "LLM call for %s failed: %s%s; retry %d of %d in %.2fs",
                task,
                describe(failure),
                self._server_note(failure),
                attempt,
                self._retry.max_retries,
                delay,
            )
            await asyncio.sleep(delay)

    def _reject_json_schema(self, exc: openai.APIStatusError) -> LLMUnavailable | None:
        """Switch to json_object for this client's lifetime; the error to raise if it's forced."""
        note = server_message(exc, self._redact)
        if self.settings.llm_structured_mode == JSON_SCHEMA:
            log.warning("LLM server at %s rejected json_schema: %s", self._host, note)
            return LLMUnavailable(
                "The language model server does not support JSON-schema output; "
                "set LLM_STRUCTURED_MODE=json_object (or auto)."
            )
        if self._mode != JSON_OBJECT:
            log.warning(
                "LLM server at %s rejected json_schema (%s); using json_object from now on",
                self._host,
                note,
            )
        self._mode = JSON_OBJECT
        return None

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "[redacted]") if self._secret else text

    def _server_note(self, exc: Exception) -> str:
        if isinstance(exc, openai.APIStatusError):
            note = server_message(exc, self._redact)
            return f" ({note})" if note else ""
        return ""

    def _user_error(
        self, exc: Exception, *, attempts: int, retry_after: float | None = None
    ) -> Exception:
        return to_user_error(
            exc,
            model=self.model,
            host=self._host,
            attempts=attempts,
            timeout=self.settings.llm_timeout_seconds,
            redact=self._redact,
            retry_after=retry_after,
        )
