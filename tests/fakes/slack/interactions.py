"""Interactivity payloads as Slack sends them: `block_actions` (button and feedback-button
clicks), `message_action` (message shortcuts) and slash commands.

Field sets follow Slack's documented payloads and bolt-python's tests: HTTP mode POSTs
interactivity as a form with one `payload` field holding the JSON, and slash commands as plain
form fields; Socket Mode wraps the same dict in an `interactive` / `slash_commands` envelope.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack import events


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _user(user: str, team: str) -> dict[str, Any]:
    return {"id": user, "username": "person", "name": "person", "team_id": team}


def block_actions(
    message: dict[str, Any],
    action: dict[str, Any],
    *,
    channel: str,
    user: str = events.USER_ID,
    team: str = events.TEAM_ID,
    api_app_id: str = events.APP_ID,
    token: str = "fakeverificationtoken",
    response_url: str | None = None,
    ephemeral: bool = False,
) -> dict[str, Any]:
    """A click on `action` (one element of `message`'s blocks, as it was clicked)."""
    thread_ts = message.get("thread_ts")
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": _user(user, team),
        "api_app_id": api_app_id,
        "token": token,
        "container": container,
        "trigger_id": _trigger_id(),
        "team": {"id": team, "domain": "fake-team"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage" if channel[:1] == "D" else "news"},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url
        or f"https://hooks.slack.com/actions/{team}/1/{secrets.token_hex(12)}",
        "actions": [dict(action, action_ts=_action_ts())],
    }


def clicked(block: dict[str, Any], element: dict[str, Any], value: str) -> dict[str, Any]:
    """The `actions[0]` Slack reports for a click on `element` of `block`.

    A `feedback_buttons` element reports the chosen button's value, not the element's text.
    """
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": block.get("block_id") or secrets.token_urlsafe(4)[:5],
        "value": value,
    }
    if element["type"] == "button":
        action["text"] = element["text"]
    return action


def form_body(payload: dict[str, Any]) -> bytes:
    """HTTP mode: interactivity arrives as `payload=<json>`, form-encoded."""
    import json

    return urlencode({"payload": json.dumps(payload)}).encode()


def slash_command(
    text: str,
    *,
    channel: str,
    response_url: str,
    user: str = events.USER_ID,
    team: str = events.TEAM_ID,
    command: str = "/articlebot",
    api_app_id: str = events.APP_ID,
    token: str = "fakeverificationtoken",
) -> dict[str, str]:
    """The form fields Slack sends for a slash command (every value a string, as in the form)."""
    return {
        "token": token,
        "team_id": team,
        "team_domain": "fake-team",
        "channel_id": channel,
        "channel_name": "directmessage" if channel[:1] == "D" else "news",
        "user_id": user,
        "user_name": "person",
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": _trigger_id(),
    }


def message_action(
    message: dict[str, Any],
    *,
    channel: str,
    callback_id: str,
    response_url: str,
    user: str = events.USER_ID,
    team: str = events.TEAM_ID,
    token: str = "fakeverificationtoken",
) -> dict[str, Any]:
    """A message shortcut used on `message` (as conversations.history shows it)."""
    return {
        "type": "message_action",
        "token": token,
        "action_ts": _action_ts(),
        "team": {"id": team, "domain": "fake-team"},
        "user": {"id": user, "username": "person", "team_id": team, "name": "person"},
        "channel": {"id": channel, "name": "directmessage" if channel[:1] == "D" else "news"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": _trigger_id(),
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": message,
    }
