"""Uploaded files: Slack-shaped file objects and the authenticated `url_private*` downloads.

Like Slack, a download without `Authorization: Bearer <bot token>` does not fail loudly: by
default it is redirected (302) to an HTML sign-in page, which is how a bot that forgets the
header ends up "reading" a login page. `forbidden` mode answers 403 instead.
"""

from __future__ import annotations

import copy
import mimetypes
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from aiohttp import web

from tests.fakes.slack.workspace import Workspace

AuthFailure = Literal["redirect", "forbidden"]

LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Sign in | Slack</title></head>"
    "<body><h1>Sign in to Fake Team</h1><form action='/signin'>"
    "<input name='email'><input type='password' name='password'></form></body></html>"
)


@dataclass
class Download:
    """One request for a file URL: `authorized` says whether the right bot token came with it."""

    path: str
    authorized: bool
    status: int
    at: float


class FileRegistry:
    def __init__(
        self, workspace: Workspace, base_url: Callable[[], str], on_failure: AuthFailure
    ) -> None:
        self.ws = workspace
        self.base_url = base_url
        self.on_failure = on_failure
        self._lock = threading.Lock()
        self._files: dict[str, dict[str, Any]] = {}
        self._content: dict[str, bytes] = {}
        self.downloads: list[Download] = []

    def add(self, content: bytes, name: str, mimetype: str, user: str) -> dict[str, Any]:
        file_id = "F" + secrets.token_hex(5).upper()
        now = int(time.time())
        ext = (mimetypes.guess_extension(mimetype) or "").lstrip(".") or name.rpartition(".")[2]
        base = f"{self.base_url()}/files-pri/{self.ws.team_id}-{file_id}"
        quoted = quote(name)
        info = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": ext,
            "pretty_type": ext.upper(),
            "user": user,
            "user_team": self.ws.team_id,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": True,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base}/{quoted}",
            "url_private_download": f"{base}/download/{quoted}",
            "permalink": f"{self.base_url()}/files/{user}/{file_id}/{quoted}",
            "permalink_public": f"{self.base_url()}/T-{file_id}",
            "has_rich_preview": False,
            "file_access": "visible",
        }
        with self._lock:
            self._files[file_id] = info
            self._content[file_id] = content
        return copy.deepcopy(info)

    def get(self, file_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._files.get(file_id)
            return copy.deepcopy(found) if found is not None else None

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """GET /files-pri/{team}-{file_id}/[download/]{name}."""
        authorized = request.headers.get("Authorization", "") == f"Bearer {self.ws.bot_token}"
        owner = request.match_info["owner"]
        file_id = owner.rpartition("-")[2]
        with self._lock:
            content = self._content.get(file_id)
            info = self._files.get(file_id)
        if not authorized:
            status = 302 if self.on_failure == "redirect" else 403
            self._record(request.path, authorized, status)
            if status == 302:
                raise web.HTTPFound(f"/?redir={quote(request.path_qs, safe='')}")
            raise web.HTTPForbidden(text="Forbidden")
        if content is None or info is None:
            self._record(request.path, authorized, 404)
            raise web.HTTPNotFound(text="File not found")
        self._record(request.path, authorized, 200)
        return web.Response(body=content, headers={"Content-Type": info["mimetype"]})

    async def login_page(self, request: web.Request) -> web.Response:
        return web.Response(text=LOGIN_PAGE, content_type="text/html")

    def _record(self, path: str, authorized: bool, status: int) -> None:
        with self._lock:
            self.downloads.append(Download(path, authorized, status, time.monotonic()))
