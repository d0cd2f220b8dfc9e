"""Identity of the fake workspace (IDs and tokens) and how a request's token is judged.

A `Workspace` is one installation of the app: a workspace (standalone, or one of an Enterprise
Grid org's: `enterprise_id` set), or an org-wide install (`org_install`: its `team_id` is the
org's id, and its token acts in every workspace of the org). With token rotation, the bot token
changes on every refresh; earlier tokens stay valid until they expire (`token_expired` after).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from tests.fakes.slack import events
from tests.fakes.slack.validation import SlackError

TokenKind = Literal["bot", "app", "client"]


def _bot_token() -> str:
    return f"xoxb-1-{secrets.randbelow(10**12):012d}-{secrets.token_hex(12)}"


def _app_token() -> str:
    return f"xapp-1-{events.APP_ID}-{secrets.randbelow(10**12):012d}-{secrets.token_hex(32)}"


@dataclass
class Workspace:
    team_id: str = events.TEAM_ID
    team_name: str = "Fake Team"
    app_id: str = events.APP_ID
    bot_user_id: str = events.BOT_USER_ID
    bot_id: str = events.BOT_ID
    bot_name: str = "articlebot"
    bot_token: str = field(default_factory=_bot_token)
    app_token: str = field(default_factory=_app_token)
    verification_token: str = field(default_factory=lambda: secrets.token_hex(12))
    admins: set[str] = field(default_factory=set)  # user IDs users.info reports as admins
    # Set when the app is uninstalled: Slack then answers the bot token with `token_revoked`.
    revoked: bool = False
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    org_install: bool = False
    # Rotating tokens issued to this installation and when each expires (the OAuth app's clock).
    rotating: dict[str, float] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    # A test knob: messages (text + blocks as JSON) longer than this get `msg_too_long`, so
    # a test can make a reply need splitting without writing 40,000 characters.
    message_chars: int | None = None

    def owns(self, token: str | None) -> bool:
        return bool(token) and (token == self.bot_token or token in self.rotating)

    def auth_test(self) -> dict[str, object]:
        """auth.test's answer for this workspace's bot token."""
        return {
            "ok": True,
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "enterprise_id": self.enterprise_id,
            "is_enterprise_install": self.org_install,
        }

    def check_token(self, token: str | None, kind: TokenKind) -> None:
        """Slack's answers: no token `not_authed`, unknown `invalid_auth`, other kind
        `not_allowed_token_type`."""
        expected = self.bot_token if kind == "bot" else self.app_token
        if not token:
            raise SlackError("not_authed")
        if kind == "bot" and token in self.rotating:
            if self.rotating[token] <= self.clock():
                raise SlackError("token_expired")
            expected = token
        if secrets.compare_digest(token, expected):
            if self.revoked and kind == "bot":
                raise SlackError("token_revoked")
            return
        if token in (self.bot_token, self.app_token):
            raise SlackError("not_allowed_token_type")
        raise SlackError("invalid_auth")
