"""The Web API over HTTP: request parsing, call log, injected failures, token checks, dispatch.

slack_sdk sends query params (`params=`), form bodies (`data=`) and JSON bodies (`json=`), with
the token in `Authorization: Bearer ...`; Slack also takes `token` as a form field. All three are
merged, and JSON-valued form fields (`blocks`, `metadata`, ...) are decoded as Slack does.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.slack.validation import SlackError
from tests.fakes.slack.workspace import TokenKind, Workspace

Handler = Callable[[dict[str, Any]], dict[str, Any]]

_JSON_FIELDS = ("blocks", "attachments", "metadata", "chunks", "prompts", "view")


@dataclass
class Call:
    """One Web API request as received (`at` is `time.monotonic()` on arrival)."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    token: str | None
    http_method: str
    at: float
    status: int = 200
    response: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))


@dataclass
class _Injected:
    remaining: int
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str]
    reset: bool = False  # drop the connection (TCP RST) instead of answering
    lost: bool = False  # do the work, then drop the connection: the answer is lost
    stored: bool = False  # do the work, then answer with this failure anyway
    skip: int = 0  # calls to let through before this failure starts
    stall: bool = False  # never answer (the caller dies waiting)


class WebApi:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        # Other workspaces that installed the app (OAuth): their bot tokens work too, and
        # auth.test answers for the workspace whose token it is.
        self.other_workspaces: list[Workspace] = []
        self._handlers: dict[str, tuple[TokenKind, Handler]] = {}
        self._lock = threading.Lock()
        self._injected: dict[str, collections.deque[_Injected]] = {}
        self.calls: list[Call] = []

    def register(self, handlers: dict[str, Handler]) -> None:
        for method, handler in handlers.items():
            kind: TokenKind = "app" if method.startswith("apps.connections.") else "bot"
            if method.startswith("oauth."):
                kind = "client"  # client credentials, no token
            self._handlers[method] = (kind, handler)

    def inject(
        self,
        method: str,
        *,
        times: int,
        status: int = 200,
        body: dict[str, Any] | str | None = None,
        headers: dict[str, str] | None = None,
        reset: bool = False,
        lost: bool = False,
        stored: bool = False,
        skip: int = 0,
        stall: bool = False,
    ) -> None:
        """Answer the next `times` calls of `method` with this response instead of handling them
        (a `str` body is sent as an HTML page); `reset` drops the connection unanswered;
        `lost` handles the call as usual, then drops the connection before answering; `stored`
        handles it, then answers with the failure (Slack did it, then its edge failed); `skip`
        lets that many calls through first; `stall` never answers."""
        with self._lock:
            queue = self._injected.setdefault(method, collections.deque())
            queue.append(
                _Injected(
                    times, status, body or {}, headers or {}, reset, lost, stored, skip, stall
                )
            )

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        token = _bearer(request.headers.get("Authorization")) or params.pop("token", None)
        params |= _basic(request.headers.get("Authorization"))
        call = Call(
            method=method,
            params=params,
            headers=dict(request.headers),
            token=token,
            http_method=request.method,
            at=time.monotonic(),
        )
        injected = self._take_injected(method)
        if injected is not None and injected.stall:
            with self._lock:
                self.calls.append(call)
            call.status = 0
            while request.transport is not None and not request.transport.is_closing():
                await asyncio.sleep(0.05)  # until the caller hangs up or the server stops
            raise ConnectionResetError("the caller hung up on a stalled call")
        if injected is not None and injected.stored:
            self._answer(method, params, token, None)  # the work is done; the answer fails
        if injected is not None and injected.lost:
            call.status, call.response = 0, self._answer(method, params, token, None)[1]
            with self._lock:
                self.calls.append(call)
            _reset_connection(request)
            raise ConnectionResetError("fake Slack lost the answer")
        if injected is not None and injected.reset:
            call.status = 0  # no answer at all
            with self._lock:
                self.calls.append(call)
            _reset_connection(request)
            raise ConnectionResetError("fake Slack reset the connection")
        if injected is not None and isinstance(injected.body, str):
            call.status = injected.status
            with self._lock:
                self.calls.append(call)
            return web.Response(
                text=injected.body,
                status=injected.status,
                content_type="text/html",
                headers=injected.headers,
            )
        status, body, headers = self._answer(method, params, token, injected)
        call.status, call.response = status, body
        with self._lock:
            self.calls.append(call)
        return web.json_response(body, status=status, headers=headers)

    def _answer(
        self, method: str, params: dict[str, Any], token: str | None, injected: _Injected | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if injected is not None:
            assert isinstance(injected.body, dict)
            return injected.status, dict(injected.body), dict(injected.headers)
        if method not in self._handlers:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
        kind, handler = self._handlers[method]
        try:
            other = next((w for w in self.other_workspaces if w.owns(token)), None)
            if other is not None:
                other.check_token(token, "bot")
                if method == "auth.test":
                    return 200, other.auth_test(), {}
            elif kind != "client":
                self.ws.check_token(token, kind)
            return 200, handler(params), {}
        except SlackError as exc:
            return 200, exc.body(), {}
        except (ValueError, TypeError) as exc:
            return 200, {"ok": False, "error": "invalid_arguments", "detail": str(exc)}, {}

    def _take_injected(self, method: str) -> _Injected | None:
        with self._lock:
            queue = self._injected.get(method)
            if not queue:
                return None
            head = queue[0]
            if head.skip > 0:
                head.skip -= 1
                return None
            head.remaining -= 1
            if head.remaining <= 0:
                queue.popleft()
            return head


def _reset_connection(request: web.Request) -> None:
    """Close the client's connection with a TCP RST (SO_LINGER 0), as a dying proxy does: the
    client sees "Connection reset by peer" rather than an answer."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for name in _JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str):
            # Invalid JSON stays a string: the handler reports it as badly formatted.
            with contextlib.suppress(ValueError):
                params[name] = json.loads(value)
    return params


def _basic(header: str | None) -> dict[str, str]:
    """HTTP Basic credentials (how slack_sdk sends client_id/client_secret to oauth.*)."""
    if not header or not header.lower().startswith("basic "):
        return {}
    user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    return {"client_id": user, "client_secret": password}


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None
