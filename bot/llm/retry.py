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

import openai

from bot.errors import BudgetExceeded, LLMError, LLMRateLimited, LLMTimeout, LLMUnavailable

RETRYABLE_STATUSES = frozenset({408, 409, 429})


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
    """Transient failures: timeouts, connection errors, 408/409/429 and 5xx (but not no-quota)."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429 and _error_code(exc) == "insufficient_quota":
            return False
        return exc.status_code in RETRYABLE_STATUSES or exc.status_code >= 500
    return False


def server_message(exc: openai.APIStatusError, redact: Callable[[str], str]) -> str:
    """The server's own error text, redacted and shortened, for logs and 4xx explanations."""
    body = exc.body
    text = body.get("message") if isinstance(body, Mapping) else body
    text = " ".join(str(text or "").split())
    return redact(text)[:200]


def describe(exc: Exception) -> str:
    """A short, secret-free label for logs ("HTTP 503", "timeout", ...)."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
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
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeout(f"The language model did not answer within {timeout:g} seconds{tries}.")
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailable(f"Could not reach the language model server at {host}{tries}.")
    if not isinstance(exc, openai.APIStatusError):
        return LLMUnavailable("The language model call failed unexpectedly.")
    status, code = exc.status_code, _error_code(exc)
    if status == 429:
        if code == "insufficient_quota":
            return LLMRateLimited("The language model account has run out of quota.")
        if retry_after is not None and retry_after > 0:
            wait = f"in about {max(round(retry_after / 60), 1)} minute(s)"
        else:
            wait = "in a minute"
        return LLMRateLimited(f"The language model is rate-limited{tries}; try again {wait}.")
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
