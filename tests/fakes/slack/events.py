"""Realistic Events API payloads (what Slack sends for mentions, messages, edits, files, DMs).

Field sets follow real payloads: user messages carry `client_msg_id`, a `rich_text` block that
mirrors the mrkdwn text, `team`, `event_ts` and `channel_type`; thread replies add `thread_ts`
and `parent_user_id`; edits and deletions arrive as hidden `message` subtypes with
`previous_message`. `sign` computes the v0 request signature exactly as Slack does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from typing import Any

TEAM_ID = "T0TEAM"
APP_ID = "A0APP"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
USER_ID = "U0USER"

_TOKEN = re.compile(r"<([^<>]+)>")


def channel_type_of(channel: str) -> str:
    """Slack's channel_type from the ID prefix: D = im, G = group (private/mpim), else channel."""
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The `rich_text` block Slack's client attaches to a typed message, built from its mrkdwn."""
    elements: list[dict[str, Any]] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            elements.append({"type": "text", "text": _unescape(text[position : match.start()])})
        elements.append(_rich_element(match.group(1)))
        position = match.end()
    if position < len(text):
        elements.append({"type": "text", "text": _unescape(text[position:])})
    block_id = secrets.token_urlsafe(4)[:5]
    section = {"type": "rich_text_section", "elements": elements}
    return [{"type": "rich_text", "block_id": block_id, "elements": [section]}]


def _rich_element(token: str) -> dict[str, Any]:
    target, _, label = token.partition("|")
    if target.startswith("@"):
        return {"type": "user", "user_id": target[1:]}
    if target.startswith("#"):
        return {"type": "channel", "channel_id": target[1:]}
    if target.startswith("!"):
        return {"type": "broadcast", "range": target[1:]}
    link: dict[str, Any] = {"type": "link", "url": _unescape(target)}
    if label:
        link["text"] = _unescape(label)
    return link


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _user_message(
    kind: str,
    text: str,
    user: str,
    channel: str,
    ts: str,
    *,
    thread_ts: str | None,
    parent_user_id: str | None,
    files: list[dict[str, Any]] | None,
    team: str,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "user": user,
        "type": kind,
        "ts": ts,
        "client_msg_id": str(uuid.uuid4()),
        "text": text,
        "team": team,
        "blocks": rich_text_blocks(text) if text else [],
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = parent_user_id or user
    if files:
        event["files"] = [dict(f) for f in files]
        event["upload"] = False
        event["display_as_bot"] = False
    return event


def app_mention(
    text: str,
    user: str,
    channel: str,
    ts: str,
    thread_ts: str | None = None,
    files: list[dict[str, Any]] | None = None,
    *,
    parent_user_id: str | None = None,
    team: str = TEAM_ID,
) -> dict[str, Any]:
    """An `app_mention` event (Slack sends no channel_type on these)."""
    return _user_message(
        "app_mention",
        text,
        user,
        channel,
        ts,
        thread_ts=thread_ts,
        parent_user_id=parent_user_id,
        files=files,
        team=team,
    )


def message(
    text: str,
    user: str,
    channel: str,
    ts: str,
    thread_ts: str | None = None,
    files: list[dict[str, Any]] | None = None,
    *,
    parent_user_id: str | None = None,
    channel_type: str | None = None,
    team: str = TEAM_ID,
) -> dict[str, Any]:
    """A plain user `message`; with `files` it becomes the `file_share` subtype, as in Slack."""
    event = _user_message(
        "message",
        text,
        user,
        channel,
        ts,
        thread_ts=thread_ts,
        parent_user_id=parent_user_id,
        files=files,
        team=team,
    )
    if files:
        event["subtype"] = "file_share"
    event["channel_type"] = channel_type or channel_type_of(channel)
    return event


def direct_message(
    text: str,
    user: str,
    channel: str,
    ts: str,
    thread_ts: str | None = None,
    files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A message in a DM with the bot (`channel_type: im`, channel ID starting with D)."""
    return message(text, user, channel, ts, thread_ts, files, channel_type="im")


def file_share(
    text: str,
    user: str,
    channel: str,
    ts: str,
    files: list[dict[str, Any]],
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A `file_share` message (the user attached files, optionally with a comment)."""
    return message(text, user, channel, ts, thread_ts, files)


def bot_user_message(
    text: str,
    channel: str,
    ts: str,
    *,
    user: str = BOT_USER_ID,
    bot_id: str = BOT_ID,
    app_id: str = APP_ID,
    thread_ts: str | None = None,
    team: str = TEAM_ID,
) -> dict[str, Any]:
    """A message posted by an app's bot user: no subtype, but `bot_id` and `bot_profile`."""
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "bot_id": bot_id,
        "app_id": app_id,
        "text": text,
        "team": team,
        "bot_profile": {"id": bot_id, "app_id": app_id, "name": "bot", "team_id": team},
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type_of(channel),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def bot_message(
    text: str,
    channel: str,
    ts: str,
    *,
    bot_id: str = "B0OTHER",
    username: str = "otherbot",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """The `bot_message` subtype (integrations and webhooks: no user, only bot_id/username)."""
    event: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "text": text,
        "ts": ts,
        "username": username,
        "bot_id": bot_id,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type_of(channel),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message_changed(
    channel: str,
    ts: str,
    text: str,
    previous_text: str,
    user: str,
    *,
    thread_ts: str | None = None,
    event_ts: str | None = None,
    team: str = TEAM_ID,
) -> dict[str, Any]:
    """A hidden `message_changed` event: the edited message and the one it replaced."""
    edit_ts = event_ts or _now_ts()
    new = _user_message(
        "message",
        text,
        user,
        channel,
        ts,
        thread_ts=thread_ts,
        parent_user_id=None,
        files=None,
        team=team,
    )
    old = dict(new, text=previous_text, blocks=rich_text_blocks(previous_text))
    new["edited"] = {"user": user, "ts": edit_ts}
    for item in (new, old):
        item.pop("channel", None)
        item.pop("event_ts", None)
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": new,
        "previous_message": old,
        "channel": channel,
        "hidden": True,
        "ts": edit_ts,
        "event_ts": edit_ts,
        "channel_type": channel_type_of(channel),
    }


def message_deleted(
    channel: str,
    deleted_ts: str,
    previous_text: str,
    user: str,
    *,
    thread_ts: str | None = None,
    event_ts: str | None = None,
    team: str = TEAM_ID,
) -> dict[str, Any]:
    """A hidden `message_deleted` event carrying the deleted message as `previous_message`."""
    delete_ts = event_ts or _now_ts()
    old = _user_message(
        "message",
        previous_text,
        user,
        channel,
        deleted_ts,
        thread_ts=thread_ts,
        parent_user_id=None,
        files=None,
        team=team,
    )
    old.pop("channel", None)
    old.pop("event_ts", None)
    return {
        "type": "message",
        "subtype": "message_deleted",
        "previous_message": old,
        "channel": channel,
        "hidden": True,
        "deleted_ts": deleted_ts,
        "event_ts": delete_ts,
        "ts": delete_ts,
        "channel_type": channel_type_of(channel),
    }


def app_uninstalled() -> dict[str, Any]:
    """Sent once the workspace removed the app (its tokens are already revoked)."""
    return {"type": "app_uninstalled", "event_ts": _now_ts()}


def team_access_revoked(team_ids: list[str]) -> dict[str, Any]:
    """Sent to an org-wide install when an org admin removes workspaces from it."""
    return {"type": "team_access_revoked", "team_ids": list(team_ids), "event_ts": _now_ts()}


def tokens_revoked(*, bot: list[str], oauth: list[str] | None = None) -> dict[str, Any]:
    """Slack lists the revoked tokens by the user id they act as."""
    return {
        "type": "tokens_revoked",
        "tokens": {"oauth": oauth or [], "bot": bot},
        "event_ts": _now_ts(),
    }


def channel_archive(channel: str, user: str = USER_ID) -> dict[str, Any]:
    return {
        "type": "channel_archive",
        "channel": channel,
        "user": user,
        "is_moved": 0,
        "event_ts": _now_ts(),
    }


def channel_deleted(channel: str) -> dict[str, Any]:
    return {"type": "channel_deleted", "channel": channel, "event_ts": _now_ts()}


def new_event_id() -> str:
    """An ID shaped like Slack's (`Ev` + 9 to 11 upper-case alphanumerics)."""
    return "Ev" + secrets.token_hex(5).upper()


def callback_body(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
    verification_token: str = "fakeverificationtoken",
    event_id: str | None = None,
    event_time: int | None = None,
    enterprise_id: str | None = None,
    org_install: bool = False,
) -> dict[str, Any]:
    """The `event_callback` envelope Slack POSTs (HTTP mode) or wraps in `payload` (Socket Mode).

    On Enterprise Grid the envelope names the org (`enterprise_id`) next to the workspace the
    event happened in (`team_id`), and `authorizations[0]` the installation that sees it: the
    workspace's own, or the org-wide one (`is_enterprise_install`, no team)."""
    body: dict[str, Any] = {
        "token": verification_token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": enterprise_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": None if org_install else team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": org_install,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }
    if enterprise_id is not None:
        body["enterprise_id"] = enterprise_id
    return body


def url_verification_body(challenge: str, token: str = "fakeverificationtoken") -> dict[str, Any]:
    """The handshake Slack POSTs when a Request URL is configured."""
    return {"token": token, "challenge": challenge, "type": "url_verification"}


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers: HMAC-SHA256 of `v0:{timestamp}:{body}` with the secret."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": stamp}


def _now_ts() -> str:
    return f"{time.time():.6f}"


def assistant_thread_event(
    kind: str,
    *,
    user: str,
    channel: str,
    thread_ts: str,
    context_channel: str | None,
    team: str = TEAM_ID,
) -> dict[str, Any]:
    """`assistant_thread_started` or `assistant_thread_context_changed`, as Slack sends them:
    the pane's DM and thread, and the channel the user is viewing (an empty context when the
    pane is opened outside a channel)."""
    context: dict[str, Any] = {}
    if context_channel is not None:
        context = {"channel_id": context_channel, "team_id": team, "enterprise_id": None}
    return {
        "type": kind,
        "assistant_thread": {
            "user_id": user,
            "context": context,
            "channel_id": channel,
            "thread_ts": thread_ts,
        },
        "event_ts": _now_ts(),
    }


def app_home_opened(user: str, channel: str, *, tab: str = "home") -> dict[str, Any]:
    """`app_home_opened`: the person opened the app's Home (or Messages) tab."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": _now_ts(),
    }
