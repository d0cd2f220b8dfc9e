"""Slack's side of the OAuth install flow: the app's credentials, codes, `oauth.v2.access`.

A person approving the install on slack.com is `approve()`: it issues the one-time code Slack
puts in the redirect. `oauth.v2.access` then behaves like Slack's: client credentials by HTTP
Basic auth (or form fields), `invalid_client_id` / `bad_client_secret` for wrong ones,
`invalid_code` for an unknown or already used code, and the v2 response shape.
"""

from __future__ import annotations

import secrets
from typing import Any

from tests.fakes.slack.validation import SlackError
from tests.fakes.slack.workspace import Workspace

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
SCOPES = "app_mentions:read,channels:history,chat:write"


class OAuthApp:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self._codes: dict[str, Workspace] = {}
        self.exchanged: list[str] = []

    def handlers(self) -> dict[str, Any]:
        return {"oauth.v2.access": self.access}

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
        code = params.get("code")
        if not code or code not in self._codes:
            raise SlackError("invalid_code")
        ws = self._codes.pop(code)
        self.exchanged.append(code)
        return {
            "ok": True,
            "app_id": ws.app_id,
            "authed_user": {"id": "U0INSTALLER"},
            "scope": SCOPES,
            "token_type": "bot",
            "access_token": ws.bot_token,
            "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
