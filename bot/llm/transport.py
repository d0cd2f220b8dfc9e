"""HTTP exchanges with the LLM server: one attempt bounded in time, retried under one policy.

This module knows nothing of schemas or prompts. It turns whatever the server sends into either
a well-formed `RawReply` or a classified failure: an HTTP 200 carrying an HTML page, a JSON body
cut off, a completion without `choices`, a garbled or truncated event stream are all
`MalformedResponse` (retried like a 5xx), never an AttributeError or a JSONDecodeError.
`LLM_TIMEOUT_SECONDS` bounds each attempt as a whole, streamed or not, not only the gap between
chunks. A cancelled call closes its HTTP response, so a one-slot server stops generating.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion
from openai.types.completion_usage import CompletionUsage

from bot.llm.retry import (
    CallFailure,
    CallTimedOut,
    MalformedResponse,
    RetryPolicy,
    describe,
    fault_class,
    is_retryable,
    parse_retry_after,
)
from bot.metrics import LLM_RETRIES

log = logging.getLogger(__name__)

R = TypeVar("R")

# Decides whether an HTTP error is a protocol rejection (schema, system role, stream_options)
# that the caller handles by changing the request; returns the exception to raise, or None.
Rejection = Callable[[openai.APIStatusError], BaseException | None]
# Builds the user-facing error once retries are exhausted.
GiveUp = Callable[[Exception, int, float | None], Exception]
Slot = Callable[[], AbstractAsyncContextManager[Any]]


@dataclass
class RawReply:
    """What one successful attempt returned, before any JSON parsing."""

    text: str
    finish_reason: str | None
    refusal: str
    usage: CompletionUsage | None
    latency_ms: float


def _read_completion(response: object) -> tuple[str, str | None, str, CompletionUsage | None]:
    """(content, finish_reason, refusal, usage) of a completion, or MalformedResponse."""
    if not isinstance(response, ChatCompletion):  # openai hands back the text of a non-JSON body
        raise MalformedResponse("the body is not a JSON completion")
    try:
        choices = response.choices
        if not choices:
            raise MalformedResponse("the completion has no choices")
        choice = choices[0]
        content, refusal = choice.message.content, choice.message.refusal
        finish = choice.finish_reason
    except (AttributeError, TypeError, IndexError, KeyError):
        raise MalformedResponse("the completion is missing fields") from None
    if not isinstance(content, str | None) or not isinstance(refusal, str | None):
        raise MalformedResponse("the completion's content is not text")
    usage = getattr(response, "usage", None)
    return (
        content or "",
        finish,
        refusal or "",
        usage if isinstance(usage, CompletionUsage) else None,
    )


class _StreamState:
    """Accumulates one streamed attempt."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.refusal: list[str] = []
        self.finish: str | None = None
        self.usage: CompletionUsage | None = None

    def take(self, chunk: Any) -> str:
        """Absorb one chunk; return its new content ("" if none). MalformedResponse if garbled."""
        try:
            usage = getattr(chunk, "usage", None)
            if isinstance(usage, CompletionUsage):
                self.usage = usage
            choices = chunk.choices
            if not choices:
                return ""
            choice = choices[0]
            self.finish = choice.finish_reason or self.finish
            delta = choice.delta
            refusal, content = getattr(delta, "refusal", None), getattr(delta, "content", None)
        except (AttributeError, TypeError, IndexError, KeyError):
            raise MalformedResponse("a streamed chunk is missing fields") from None
        if refusal:
            self.refusal.append(str(refusal))
        if content and isinstance(content, str):
            self.parts.append(content)
            return content
        return ""


class Transport:
    """Sends Chat Completions requests; see the module docstring."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        timeout: float,
        retry: RetryPolicy,
        slot: Slot,
    ) -> None:
        self._openai = client
        self.timeout = timeout
        self.retry = retry
        self._slot = slot

    async def aclose(self) -> None:
        await self._openai.close()

    # --- one request, with retries -----------------------------------------------------------

    async def complete(
        self, kwargs: dict[str, Any], *, task: str, rejection: Rejection, give_up: GiveUp
    ) -> RawReply:
        return await self._with_retries(
            lambda: self._complete_once(kwargs), task=task, rejection=rejection, give_up=give_up
        )

    async def stream(
        self, kwargs: dict[str, Any], *, task: str, rejection: Rejection, give_up: GiveUp
    ) -> AsyncIterator[str | RawReply]:
        """Content deltas, then the RawReply. A failure before any content is retried like a
        plain call; after content has been shown it is final (the caller falls back)."""
        attempt = 0
        while True:
            shown = False
            try:
                async for item in self._stream_once(kwargs):
                    shown = shown or isinstance(item, str)
                    yield item
                return
            except openai.APIStatusError as exc:
                if (special := rejection(exc)) is not None:
                    raise special from None
                failure: Exception = exc
            except CallFailure as exc:
                failure = exc
            delay = None if shown else self._delay(failure, attempt)
            if delay is None:
                log.warning("LLM stream for %s failed: %s", task, describe(failure))
                raise give_up(failure, attempt + 1, self._retry_after(failure)) from None
            attempt += 1
            self._note_retry(task, failure, attempt, delay)
            await asyncio.sleep(delay)

    async def _with_retries(
        self,
        call: Callable[[], Awaitable[R]],
        *,
        task: str,
        rejection: Rejection,
        give_up: GiveUp,
    ) -> R:
        """Run `call` under the retry policy; raise `give_up`'s error when retries run out."""
        attempt = 0
        while True:
            try:
                return await call()
            except openai.APIStatusError as exc:
                if (special := rejection(exc)) is not None:
                    raise special from None
                failure: Exception = exc
            except CallFailure as exc:
                failure = exc
            delay = self._delay(failure, attempt)
            if delay is None:
                log.warning(
                    "LLM call for %s failed: %s (attempt %d)", task, describe(failure), attempt + 1
                )
                raise give_up(failure, attempt + 1, self._retry_after(failure)) from None
            attempt += 1
            self._note_retry(task, failure, attempt, delay)
            await asyncio.sleep(delay)

    @staticmethod
    def _retry_after(failure: Exception) -> float | None:
        if isinstance(failure, openai.APIStatusError):
            return parse_retry_after(failure.response.headers)
        return None

    def _delay(self, failure: Exception, attempt: int) -> float | None:
        if not is_retryable(failure) or attempt >= self.retry.max_retries:
            return None
        return self.retry.delay(attempt, self._retry_after(failure))

    def _note_retry(self, task: str, failure: Exception, attempt: int, delay: float) -> None:
        LLM_RETRIES.labels(fault=fault_class(failure)).inc()
        log.warning(
            "LLM call for %s failed: %s; retry %d of %d in %.2fs",
            task,
            describe(failure),
            attempt,
            self.retry.max_retries,
            delay,
        )

    # --- one attempt --------------------------------------------------------------------------

    async def _complete_once(self, kwargs: dict[str, Any]) -> RawReply:
        async with self._slot():
            start = time.perf_counter()
            try:
                async with asyncio.timeout(self.timeout):
                    response = await self._openai.chat.completions.create(**kwargs)
            except TimeoutError:
                raise CallTimedOut from None
            except ValueError:  # JSONDecodeError: a JSON body cut off or garbled
                raise MalformedResponse("the body is not valid JSON") from None
            latency_ms = (time.perf_counter() - start) * 1000
        text, finish, refusal, usage = _read_completion(response)
        return RawReply(text, finish, refusal, usage, latency_ms)

    async def _stream_once(self, kwargs: dict[str, Any]) -> AsyncIterator[str | RawReply]:
        async with self._slot():
            start = time.perf_counter()
            deadline = asyncio.get_running_loop().time() + self.timeout
            try:
                async with asyncio.timeout_at(deadline):
                    stream = await self._openai.chat.completions.create(**kwargs, stream=True)
            except TimeoutError:
                raise CallTimedOut from None
            try:
                state = _StreamState()
                chunks = stream.__aiter__()
                while True:
                    try:
                        async with asyncio.timeout_at(deadline):
                            chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        break
                    except TimeoutError:
                        raise CallTimedOut from None
                    except ValueError:  # a data line that is not JSON
                        raise MalformedResponse("a streamed chunk is not JSON") from None
                    if content := state.take(chunk):
                        yield content
            finally:
                await stream.close()  # also on cancellation: the server stops generating
            if state.finish is None:
                raise MalformedResponse("the stream ended before the reply was complete")
            latency_ms = (time.perf_counter() - start) * 1000
        yield RawReply(
            "".join(state.parts), state.finish, "".join(state.refusal), state.usage, latency_ms
        )
