"""Socket Mode: one-time WSS tickets, `hello` on connect, envelopes out, acks in.

Mirrors Slack's side of the protocol as slack_sdk's SocketModeClient expects it: the client calls
`apps.connections.open` (app token) for a URL, connects, receives `hello`, answers pings (and
sends its own, which aiohttp answers with the same payload), and acks each envelope by sending
`{"envelope_id": ...}` back. `disconnect` asks the client to reconnect through a fresh URL.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack.workspace import Workspace


@dataclass
class Envelope:
    envelope_id: str
    body: dict[str, Any]
    sent_at: float  # time.monotonic()


@dataclass
class Ack:
    envelope_id: str
    at: float  # time.monotonic()
    payload: dict[str, Any] | None


class SocketModeServer:
    def __init__(self, workspace: Workspace, ws_base: Callable[[], str]) -> None:
        self.ws = workspace
        self.ws_base = ws_base
        self._lock = threading.Lock()
        self._tickets: set[str] = set()
        self._open: list[web.WebSocketResponse] = []
        self.connections_opened = 0
        self.envelopes: list[Envelope] = []
        self.acks: list[Ack] = []
        self.other_messages: list[str] = []

    # --- handshake ----------------------------------------------------------------------------

    def issue_url(self) -> str:
        """A fresh single-use URL, as `apps.connections.open` returns."""
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets.add(ticket)
        return f"{self.ws_base()}/socket-mode?ticket={ticket}&app_id={self.ws.app_id}"

    @property
    def open_count(self) -> int:
        with self._lock:
            return len(self._open)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            raise web.HTTPUnauthorized(text="invalid or reused ticket")
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        with self._lock:
            self._open.append(socket)
            count = len(self._open)
        await socket.send_str(json.dumps(self._hello(count)))
        with self._lock:
            self.connections_opened += 1
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._received(message.data)
        finally:
            with self._lock:
                if socket in self._open:
                    self._open.remove(socket)
        return socket

    def _hello(self, count: int) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-fake-1",
                "build_number": 118,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.ws.app_id},
        }

    def _received(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        with self._lock:
            if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
                payload = message.get("payload")
                self.acks.append(Ack(message["envelope_id"], time.monotonic(), payload))
            else:
                self.other_messages.append(data)

    # --- outgoing (run on the server loop) ----------------------------------------------------

    async def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Send one envelope to the newest open connection (Slack picks one, not all)."""
        with self._lock:
            socket = self._open[-1] if self._open else None
        if socket is None:
            raise RuntimeError("no Socket Mode client is connected (await wait_connected first)")
        envelope_id = str(uuid.uuid4())
        body: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            body["retry_attempt"] = retry_attempt
            body["retry_reason"] = retry_reason
        with self._lock:
            self.envelopes.append(Envelope(envelope_id, body, time.monotonic()))
        await socket.send_str(json.dumps(body))
        return envelope_id

    async def disconnect_all(self, reason: str, close_after: float | None) -> int:
        """Send `disconnect` to every open connection; optionally close them after a grace."""
        with self._lock:
            sockets = list(self._open)
        notice = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-1"}}
        )
        for socket in sockets:
            await socket.send_str(notice)
        if close_after is not None:
            asyncio.get_running_loop().call_later(
                close_after, lambda: asyncio.ensure_future(self._close(sockets))
            )
        return len(sockets)

    async def drop_all(self) -> int:
        """Close every connection without notice (a network blip or server restart)."""
        with self._lock:
            sockets = list(self._open)
        await self._close(sockets)
        return len(sockets)

    async def _close(self, sockets: list[web.WebSocketResponse]) -> None:
        for socket in sockets:
            if not socket.closed:
                await socket.close(code=1001, message=b"going away")
