"""The Web API faults the fake can inject, by name, with Slack's real response shapes.

Transient ones a well-behaved client retries: HTTP 429 with `Retry-After` (body
`{"ok": false, "error": "ratelimited"}`), HTTP 500 as an HTML error page from Slack's edge,
HTTP 503 with a JSON body, a connection reset (TCP RST, no answer), a lost response (Slack did
the work, then the connection dropped: a blind retry duplicates it), and `ok: false` in an HTTP
200 body with a transient error code. Permanent ones it must not retry: no access to the
channel, a dead token, a message over the size limit.
"""

from __future__ import annotations

from typing import Literal

HTTP_FAULTS = ("http_429", "http_500", "http_503", "connection_reset", "lost_response")
TRANSIENT_CODES = (
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
)
NO_ACCESS_CODES = ("not_in_channel", "channel_not_found", "is_archived")
AUTH_CODES = ("invalid_auth", "token_revoked", "account_inactive")
TRANSIENT = HTTP_FAULTS + TRANSIENT_CODES

Expect = Literal["reply", "quiet_stop"]

SERVER_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>Server Error | Slack</title></head>"
    "<body><h1>Slack is having trouble</h1><p>Please try again.</p></body></html>"
)


def expected(fault: str) -> Expect:
    """What the user must end up with: the reply (after retries), or nothing at all."""
    return "quiet_stop" if fault in NO_ACCESS_CODES + AUTH_CODES else "reply"
