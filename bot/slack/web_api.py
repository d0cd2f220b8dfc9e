"""Slack Web API calls: the client, what each failure means, and retries for transient ones.

slack_sdk's built-in retry handlers only look at the HTTP layer (429, 500/503, connection
errors). Slack also reports passing trouble in a normal HTTP 200 body, `{"ok": false, "error":
"internal_error"}` and friends, which slack_sdk raises as a `SlackApiError` without retrying.
`TransientErrorRetryHandler` treats both layers alike, honouring `Retry-After`, so every call
the bot makes (streams included, since `chat_stream` goes through the same client) is retried
the same way. `classify` tells the rest of the bot what a failure that got through means.

Posting a message and appending to a stream are not retried here when Slack may already have
done them (a reset after sending, HTTP 500, internal_error): `ThreadReply` looks for the post
(or the stream) before posting again, and a stream that fails so becomes one complete message.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Literal

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.errors import ArticlebotError
from bot.metrics import SLACK_FAILURES, SLACK_RETRIES

log = logging.getLogger(__name__)

FaultClass = Literal[
    "rate_limited",  # HTTP 429, or ok:false "ratelimited"
    "server_error",  # HTTP 5xx, or ok:false internal_error / fatal_error / ...
    "connection",  # reset, refused, timed out: no answer at all
    "msg_too_long",  # the message is over Slack's limit: split it smaller
    "no_access",  # not_in_channel / channel_not_found / is_archived: stop quietly
    "auth",  # invalid_auth / token_revoked / account_inactive: an operator must act
    "rejected",  # any other refusal (message_not_found, cant_update_message, ...)
]

TRANSIENT: frozenset[FaultClass] = frozenset({"rate_limited", "server_error", "connection"})
SERVER_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
NO_ACCESS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
AUTH_ERRORS = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed"})
# Connection trouble as aiohttp and asyncio report it (a reset is ClientOSError, errno 104).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
    asyncio.TimeoutError,
    ConnectionError,
)
MAX_DELAY_S = 30.0
AMBIGUOUS_ERRORS = frozenset({"internal_error", "fatal_error"})
# Calls that must not be repeated blindly when the first try may have worked: a second post
# is a duplicate message, a second append a repeated chunk. Their callers decide instead.
NOT_REPEATABLE = frozenset({"chat.postMessage", "chat.startStream", "chat.appendStream"})


class SlackConfigError(ArticlebotError):
    """Slack settings missing for the requested mode."""


@dataclass(frozen=True)
class SlackFault:
    """What a failed call means: its class, Slack's error code, and any Retry-After."""

    fault: FaultClass
    error: str
    retry_after: float | None = None
    # Slack may have done what was asked before failing (a reset after sending, a 500,
    # internal_error / fatal_error: "it's possible some aspect of the operation succeeded").
    ambiguous: bool = False

    @property
    def transient(self) -> bool:
        return self.fault in TRANSIENT


def _fault_of(status: int, error: str) -> FaultClass:
    if status == 429 or error == "ratelimited":
        return "rate_limited"
    if status >= 500 or error in SERVER_ERRORS:
        return "server_error"
    if error == "msg_too_long":
        return "msg_too_long"
    if error in NO_ACCESS:
        return "no_access"
    if error in AUTH_ERRORS:
        return "auth"
    return "rejected"


def _ambiguous(status: int, error: str) -> bool:
    return error in AMBIGUOUS_ERRORS or (status >= 500 and status != 503)


def _retry_after(headers: object) -> float | None:
    """Seconds from a `Retry-After` header (slack_sdk hands headers over as dict or multidict)."""
    if not hasattr(headers, "items"):
        return None
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(str(raw)))
            except ValueError:
                return None
    return None


def classify(exc: BaseException) -> SlackFault | None:
    """The fault behind a failed Slack call, or None if `exc` is not a Slack call failure."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        data = response.data if isinstance(response.data, dict) else {}
        error = str(data.get("error") or f"http_{response.status_code}")
        fault = _fault_of(response.status_code, error)
        ambiguous = _ambiguous(response.status_code, error)
        return SlackFault(fault, error, _retry_after(response.headers), ambiguous)
    if isinstance(exc, CONNECTION_ERRORS):
        # A failure to connect sent nothing; anything later may have reached Slack.
        sent = not isinstance(exc, aiohttp.ClientConnectorError)
        return SlackFault("connection", type(exc).__name__, ambiguous=sent)
    if isinstance(exc, SlackRequestError):  # e.g. a stream helper used after it ended
        return SlackFault("rejected", "request_error")
    return None


def count_failure(fault: SlackFault) -> None:
    """A call failed for good (its retries, if any, ran out)."""
    SLACK_FAILURES.labels(fault=fault.fault).inc()


class TransientErrorRetryHandler(AsyncRetryHandler):
    """Retries HTTP 429/5xx, connection errors and `ok:false` transient codes with backoff.

    The delay is `Retry-After` when Slack sends one, else exponential from `base_delay`, plus
    a little jitter so replicas do not retry in step.
    """

    def __init__(self, max_retry_count: int, base_delay: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.base_delay = base_delay

    def _fault(self, response: HttpResponse | None, error: Exception | None) -> SlackFault | None:
        if error is not None:
            return classify(error)
        if response is None:
            return None
        body = response.body if isinstance(response.body, dict) else {}
        if response.status_code == 200 and body.get("ok", True):
            return None
        code = str(body.get("error") or f"http_{response.status_code}")
        return SlackFault(
            _fault_of(response.status_code, code),
            code,
            _retry_after(response.headers),
            _ambiguous(response.status_code, code),
        )

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        fault = self._fault(response, error)
        if fault is None or not fault.transient:
            return False
        return not (fault.ambiguous and request.url.rsplit("/", 1)[-1] in NOT_REPEATABLE)

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        fault = self._fault(response, error)
        assert fault is not None  # only called after _can_retry_async said yes
        SLACK_RETRIES.labels(fault=fault.fault).inc()
        delay = backoff_delay(self.base_delay, state.current_attempt, fault.retry_after)
        log.info(
            "Slack %s failed (%s); retry %d in %.1fs",
            request.url.rsplit("/", 1)[-1],
            fault.error,
            state.current_attempt + 1,
            delay,
        )
        state.next_attempt_requested = True
        await asyncio.sleep(delay)
        state.increment_current_attempt()


def backoff_delay(base: float, attempt: int, retry_after: float | None = None) -> float:
    """Seconds before retry number `attempt + 1`: Retry-After if given, else exponential."""
    delay = retry_after if retry_after is not None else min(MAX_DELAY_S, base * 2**attempt)
    return delay + random.uniform(0, base)


def web_client(settings: Settings, *, token: str | None = None) -> AsyncWebClient:
    """Slack Web API client whose calls retry transient faults (`SLACK_MAX_RETRIES` times);
    with SLACK_BOT_TOKEN, or `token` (a workspace's installation)."""
    if token is None:
        if settings.slack_bot_token is None:
            raise SlackConfigError("SLACK_BOT_TOKEN is not set.")
        token = settings.slack_bot_token.get_secret_value()
    return AsyncWebClient(
        token=token, base_url=settings.slack_api_url, retry_handlers=_retries(settings)
    )


def oauth_client(settings: Settings) -> AsyncWebClient:
    """A client for `oauth.v2.access` (app credentials, no token), retrying transient faults:
    a token refresh hit by a Slack 503 is retried rather than costing the workspace its work."""
    return AsyncWebClient(base_url=settings.slack_api_url, retry_handlers=_retries(settings))


def _retries(settings: Settings) -> list[AsyncRetryHandler]:
    return [
        TransientErrorRetryHandler(
            max_retry_count=settings.slack_max_retries,
            base_delay=settings.slack_retry_base_seconds,
        )
    ]
