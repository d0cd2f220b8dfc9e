"""Slack events -> `Incoming` messages worth looking at, or None for what we ignore.

Slack sends a lot the bot must not answer: its own replies, other bots, edits, deletions,
joins, and the second copy of a mention in a thread (as `message` after `app_mention`). The
rules live here, as pure functions, so they are easy to read and to test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Message subtypes that carry a person's new message; every other subtype is ignored
# (message_changed, message_deleted, bot_message, channel_join, ...).
_PERSON_SUBTYPES = {None, "", "file_share", "thread_broadcast", "me_message"}
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Incoming:
    """A person's message the bot may have to act on."""

    event_type: str  # "app_mention" or "message"
    event_id: str | None
    team: str | None
    channel: str
    channel_type: str  # channel, group, im, mpim
    user: str
    ts: str
    thread_ts: str | None
    text: str
    files: list[dict[str, Any]] = field(default_factory=list)
    mentions_bot: bool = False
    mentions_others: bool = False

    @property
    def reply_thread(self) -> str:
        """Replies go in the message's thread, or start one under it."""
        return self.thread_ts or self.ts

    @property
    def is_dm(self) -> bool:
        return self.channel_type == "im" or self.channel.startswith("D")


def file_summary(raw: dict[str, Any]) -> dict[str, Any]:
    """What a flow needs to download a shared file, nothing else."""
    keys = ("id", "name", "title", "mimetype", "filetype", "size", "url_private_download")
    return {k: raw.get(k) for k in keys if raw.get(k) is not None}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _person_event(
    body: dict[str, Any], *, bot_user_id: str, bot_id: str | None
) -> dict[str, Any] | None:
    """The event when it is a person's new message or mention; None for anything else."""
    event = body.get("event")
    if not isinstance(event, dict) or event.get("type") not in ("app_mention", "message"):
        return None
    if event.get("subtype") not in _PERSON_SUBTYPES or event.get("hidden"):
        return None
    from_a_bot = event.get("bot_id") or (bot_id and event.get("bot_id") == bot_id)
    if from_a_bot or event.get("user") == bot_user_id:
        return None
    return event


def incoming_from(
    body: dict[str, Any], *, bot_user_id: str, bot_id: str | None = None
) -> Incoming | None:
    """Normalise an event callback body; None when the event is not a person's new message."""
    event = _person_event(body, bot_user_id=bot_user_id, bot_id=bot_id)
    if event is None:
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not (isinstance(user, str) and isinstance(channel, str) and isinstance(ts, str)):
        return None
    text = _str_or_none(event.get("text")) or ""
    mentioned = set(_MENTION.findall(text))
    thread_ts = _str_or_none(event.get("thread_ts"))
    return Incoming(
        event_type=event["type"],
        event_id=_str_or_none(body.get("event_id")),
        # The workspace that installed the bot owns the data, not the sender's (in a shared
        # channel `event.team` is the sender's workspace).
        team=body.get("team_id") or event.get("team"),
        channel=channel,
        channel_type=event.get("channel_type") or ("im" if channel.startswith("D") else "channel"),
        user=user,
        ts=ts,
        thread_ts=thread_ts if thread_ts != ts else None,
        text=text,
        files=[file_summary(f) for f in event.get("files") or [] if isinstance(f, dict)],
        mentions_bot=event["type"] == "app_mention" or bot_user_id in mentioned,
        mentions_others=bool(mentioned - {bot_user_id}),
    )
