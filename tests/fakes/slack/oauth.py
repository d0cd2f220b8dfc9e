"""Slack's side of the OAuth install flow: the app's credentials, codes, `oauth.v2.access`.

A person approving the install on slack.com is `approve()`: it issues the one-time code Slack
puts in the redirect. `oauth.v2.access` then behaves like Slack's: client credentials by HTTP
Basic auth (or form fields), `invalid_client_id` / `bad_client_secret` for wrong ones,
`invalid_code` for an unknown or already used code, and the v2 response shape. An org-wide
install (an Enterprise Grid admin installing for the whole org) answers `team: null`,
`enterprise: {id, name}`, `is_enterprise_install: true`.

With token rotation on (`rotation`), the bot token is `xoxe.xoxb-...` and expires after
`token_lifetime_s`; the answer adds `refresh_token` and `expires_in`. `grant_type=refresh_token`
exchanges a refresh token, once, for a new token and refresh token; a refresh token already
used or never issued answers `invalid_refresh_token`. Tokens expire on this app's clock, which
tests move with `advance()` (an expired token is answered `token_expired`).
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from tests.fakes.slack.validation import SlackError
from tests.fakes.slack.workspace import Workspace

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
SCOPES = "app_mentions:read,channels:history,chat:write"
TOKEN_LIFETIME_S = 43200  # Slack's: 12 hours


class OAuthApp:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self._codes: dict[str, Workspace] = {}
        self._refresh_tokens: dict[str, Workspace] = {}
        self._lock = threading.Lock()
        self.exchanged: list[str] = []
        self.refreshed: list[str] = []  # refresh tokens exchanged, in order
        self.rotation = False
        self.token_lifetime_s = TOKEN_LIFETIME_S
        self._skew = 0.0

    def handlers(self) -> dict[str, Any]:
        return {"oauth.v2.access": self.access}

    def now(self) -> float:
        return time.time() + self._skew

    def advance(self, seconds: float) -> None:
        """Time passes for Slack: tokens issued before may now have expired."""
        self._skew += seconds

    def valid_refresh_tokens(self) -> set[str]:
        with self._lock:
            return set(self._refresh_tokens)

    def approve(self, workspace: Workspace | None = None) -> str:
        """The user clicked Allow (in `workspace`, by default the fake's own): the code Slack
        sends to the redirect URL."""
        code = f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        self._codes[code] = workspace or self.ws
        return code

    def access(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("client_id") != CLIENT_ID:
            raise SlackError("invalid_client_id")
        if params.get("client_secret") != CLIENT_SECRET:
            raise SlackError("bad_client_secret")
        if params.get("grant_type") == "refresh_token":
            return self._refresh(params.get("refresh_token"))
        code = params.get("code")
        if not code or code not in self._codes:
            raise SlackError("invalid_code")
        ws = self._codes.pop(code)
        self.exchanged.append(code)
        answer = {"ok": True, **self._identity(ws), "authed_user": {"id": "U0INSTALLER"}}
        if self.rotation:
            with self._lock:
                answer |= self._issue(ws)
        else:
            answer["access_token"] = ws.bot_token
        return answer

    def _refresh(self, refresh_token: Any) -> dict[str, Any]:
        with self._lock:
            ws = self._refresh_tokens.pop(refresh_token, None) if refresh_token else None
            if ws is None:
                raise SlackError("invalid_refresh_token")
            self.refreshed.append(refresh_token)
            return {"ok": True, **self._identity(ws), **self._issue(ws)}

    def _issue(self, ws: Workspace) -> dict[str, Any]:
        """A new rotating token and its refresh token (call with the lock held)."""
        token = f"xoxe.xoxb-1-{secrets.token_hex(24)}"
        refresh = f"xoxe-1-{secrets.token_hex(32)}"
        ws.clock = self.now
        ws.rotating[token] = self.now() + self.token_lifetime_s
        ws.bot_token = token
        self._refresh_tokens[refresh] = ws
        return {
            "access_token": token,
            "refresh_token": refresh,
            "expires_in": self.token_lifetime_s,
        }

    @staticmethod
    def _identity(ws: Workspace) -> dict[str, Any]:
        enterprise = (
            {"id": ws.enterprise_id, "name": ws.enterprise_name} if ws.enterprise_id else None
        )
        return {
            "app_id": ws.app_id,
            "scope": SCOPES,
            "token_type": "bot",
            "bot_user_id": ws.bot_user_id,
            "team": None if ws.org_install else {"id": ws.team_id, "name": ws.team_name},
            "enterprise": enterprise,
            "is_enterprise_install": ws.org_install,
        }
