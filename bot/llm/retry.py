"""When to retry an LLM call, how long to wait, and what to tell the user when we give up.

The openai package can retry by itself, but we switch that off: one policy that we own is easier
to test (it honours `Retry-After` exactly) and to reason about alongside our concurrency limit
(we sleep outside the semaphore, so a backing-off call doesn't hold a slot).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx2
import openai

from bot.errors import BudgetExceeded, LLMError, LLMRateLimited, LLMTimeout, LLMUnavailable

RETRYABLE_STATUSES = frozenset({408, 409, 429})
# Waits shorter than this are over before a person could act on them: not worth mentioning.
NOTICEABLE_WAIT_SECONDS = 10.0


class MalformedResponse(Exception):
    """HTTP 200 that is not a well-formed completion: an HTML page, no `choices`, broken SSE."""


class CallTimedOut(Exception):
    """One attempt (the whole exchange, streamed or not) outlasted LLM_TIMEOUT_SECONDS."""


# Everything one attempt can fail with that the retry policy knows how to judge.
CallFailure = (openai.OpenAIError, MalformedResponse, CallTimedOut, httpx2.HTTPError)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; server-requested waits honoured up to a cap."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 20.0
    # A chat user won't wait minutes: when the server asks for longer, give up and say so.
    max_retry_after: float = 30.0

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Wait before retry number `attempt + 1` when the server gave no hint ("equal jitter")."""
        ceiling = min(self.max_delay, self.base_delay * 2.0**attempt)
        return ceiling / 2 + rng() * ceiling / 2

    def delay(
        self, attempt: int, retry_after: float | None, rng: Callable[[], float] = random.random
    ) -> float | None:
        """Seconds to wait before the next try, or None if the server wants more than we'll wait."""
        if retry_after is None:
            return self.backoff(attempt, rng)
        if retry_after > self.max_retry_after:
            return None
        # Never earlier than asked; a little jitter so a burst of clients doesn't return at once.
        return retry_after + rng() * min(1.0, retry_after * 0.1)


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    lower = {k.lower(): v for k, v in headers.items()}
    millis = lower.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = lower.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _error_code(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, Mapping) else {}
    return str(body.get("code") or body.get("type") or "")


def is_retryable(exc: Exception) -> bool:
    """Transient failures: timeouts, connection errors, malformed replies, 408/409/429 and 5xx
    (but not no-quota)."""
    if isinstance(exc, openai.APIConnectionError | MalformedResponse | CallTimedOut):
        return True  # APIConnectionError includes APITimeoutError
    if isinstance(exc, httpx2.HTTPError):  # a body cut off mid-read
        return True
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429 and _error_code(exc) == "insufficient_quota":
            return False
        return exc.status_code in RETRYABLE_STATUSES or exc.status_code >= 500
    return False


def wait_hint(retry_after: float | None) -> str:
    """ "; try again in about N seconds/minutes" when the server asked for a wait worth
    mentioning; nothing when it asked for none or for a few seconds (already over)."""
    if retry_after is None or retry_after < NOTICEABLE_WAIT_SECONDS:
        return ""
    if retry_after < 90:
        return f"; try again in about {round(retry_after):d} seconds"
    minutes = round(retry_after / 60)
    return f"; try again in about {minutes} minute{'s' if minutes != 1 else ''}"


def server_message(exc: openai.APIStatusError, redact: Callable[[str], str]) -> str:
    """The server's own error text, redacted and shortened, for logs and 4xx explanations."""
    body = exc.body
    text = body.get("message") if isinstance(body, Mapping) else body
    text = " ".join(str(text or "").split())
    return redact(text)[:200]


def fault_class(exc: Exception) -> str:
    """The closed label set of LLM_RETRIES: what kind of fault this was."""
    if isinstance(exc, openai.APITimeoutError | CallTimedOut):
        return "timeout"
    if isinstance(exc, MalformedResponse | httpx2.HTTPError):
        return "malformed"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429:
            return "rate_limited"
        return "server_error" if exc.status_code >= 500 else "client_error"
    return "other"


def describe(exc: Exception) -> str:
    """A short, secret-free label for logs ("HTTP 503", "timeout", ...)."""
    if isinstance(exc, openai.APITimeoutError | CallTimedOut):
        return "timeout"
    if isinstance(exc, MalformedResponse):
        return f"malformed reply ({exc})"
    if isinstance(exc, httpx2.HTTPError):
        return f"reply broke off ({type(exc).__name__})"
    if isinstance(exc, openai.APIConnectionError):
        return "connection error"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return type(exc).__name__


def to_user_error(
    exc: Exception,
    *,
    model: str,
    host: str,
    attempts: int,
    timeout: float,
    redact: Callable[[str], str],
    retry_after: float | None = None,
) -> LLMError:
    """Map a final openai failure to the user-facing error. Never includes keys or headers."""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if isinstance(exc, openai.APITimeoutError | CallTimedOut):
        return LLMTimeout(f"The language model did not answer within {timeout:g} seconds{tries}.")
    if isinstance(exc, MalformedResponse | httpx2.HTTPError):
        return LLMUnavailable(
            f"The language model server sent something that is not a valid answer{tries}."
        )
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailable(f"Could not reach the language model server at {host}{tries}.")
    if not isinstance(exc, openai.APIStatusError):
        return LLMUnavailable("The language model call failed unexpectedly.")
    return _status_error(exc, model, tries, redact, retry_after)


def _status_error(
    exc: openai.APIStatusError,
    model: str,
    tries: str,
    redact: Callable[[str], str],
    retry_after: float | None,
) -> LLMError:
    """The user-facing error for an HTTP error status."""
    status, code = exc.status_code, _error_code(exc)
    if status == 429:
        if code == "insufficient_quota":
            return LLMRateLimited("The language model account has run out of quota.")
        return LLMRateLimited(f"The language model is rate-limited{tries}{wait_hint(retry_after)}.")
    if status in (401, 403):
        return LLMUnavailable(
            f"The language model server refused our credentials (HTTP {status}); check LLM_API_KEY."
        )
    if status == 404:
        return LLMUnavailable(
            f"The model {model!r} was not found on the language model server (HTTP 404); "
            "check LLM_MODEL and LLM_BASE_URL."
        )
    if status >= 500:
        return LLMUnavailable(f"The language model server failed (HTTP {status}){tries}.")
    if code == "context_length_exceeded":
        return BudgetExceeded("This is too long for the language model's context window.")
    detail = server_message(exc, redact)
    return LLMUnavailable(
        f"The language model server rejected the request (HTTP {status})"
        + (f": {detail}" if detail else ".")
    )
