"""`response_url`: the one-off webhook Slack gives with each slash command and interaction.

Real behaviour mirrored: POST JSON (`text`/`blocks`, `response_type` ephemeral or in_channel,
`replace_original`, `delete_original`); the answer is a plain-text `ok`; a URL is good for 5
posts within 30 minutes, after that Slack answers 404 `used_url` / `expired_url`; an unknown
URL is 404 `invalid_url`... nothing else is needed, so the token in the URL is the only auth.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.slack.validation import SlackError, check_blocks, check_text

MAX_USES = 5
LIFETIME_S = 30 * 60


@dataclass
class ResponsePost:
    """One message sent to a response_url (what the user saw, ephemeral unless in_channel)."""

    url_id: str
    user: str
    channel: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.body.get("blocks") or [])

    @property
    def ephemeral(self) -> bool:
        return self.body.get("response_type", "ephemeral") != "in_channel"


@dataclass
class _Url:
    user: str
    channel: str
    issued_at: float
    uses: int = 0


class ResponseUrls:
    def __init__(self, base_url: Callable[[], str], team_id: str) -> None:
        self.base_url = base_url
        self.team_id = team_id
        self._lock = threading.Lock()
        self._urls: dict[str, _Url] = {}
        self.posts: list[ResponsePost] = []

    def issue(self, *, user: str, channel: str, kind: str = "commands") -> str:
        url_id = f"{secrets.randbelow(10**12)}/{secrets.token_urlsafe(18)}"
        with self._lock:
            self._urls[url_id] = _Url(user, channel, time.monotonic())
        return f"{self.base_url()}/{kind}/{self.team_id}/{url_id}"

    async def handle(self, request: web.Request) -> web.Response:
        url_id = request.match_info["rest"]
        try:
            body = json.loads(await request.text())
            check_text(body.get("text"))
            check_blocks(body.get("blocks"))
        except (ValueError, AttributeError):
            return web.Response(status=400, text="invalid_payload")
        except SlackError as exc:
            return web.Response(status=400, text=exc.error)
        with self._lock:
            url = self._urls.get(url_id)
            if url is None:
                return web.Response(status=404, text="invalid_url")
            if time.monotonic() - url.issued_at > LIFETIME_S:
                return web.Response(status=404, text="expired_url")
            if url.uses >= MAX_USES:
                return web.Response(status=404, text="used_url")
            url.uses += 1
            self.posts.append(ResponsePost(url_id, url.user, url.channel, body))
        return web.Response(text="ok")
