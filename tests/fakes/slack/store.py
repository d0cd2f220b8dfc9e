"""The fake workspace's state: messages per channel, ephemeral posts, assistant statuses.

Everything here is touched by the server thread (Web API handlers) and read by the test thread
(helpers such as `FakeSlack.thread`), so every access goes through one re-entrant lock and
readers get copies, never live lists.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

StreamState = Literal["streaming", "stopped"]

# 2023-11-14T22:13:20Z: a realistic epoch for `ts` values; each new message gets +100µs.
_BASE_MICROS = 1_700_000_000_000_100
_STEP_MICROS = 100


def ts_from_micros(micros: int) -> str:
    """Slack's "seconds.micros" timestamp string (always six decimals)."""
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


@dataclass
class Message:
    """One stored message; `snapshots` is every text the message ever showed, in order."""

    channel: str
    ts: str
    text: str
    user: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    thread_ts: str | None = None
    blocks: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    link_names: bool = False
    stream_state: StreamState | None = None
    chunks: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    block_history: list[list[dict[str, Any]]] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    edited_ts: str | None = None
    deleted: bool = False

    @property
    def is_bot(self) -> bool:
        return self.bot_id is not None

    def set_text(self, text: str) -> None:
        """Change the visible text and remember it, so tests can audit every state."""
        self.text = text
        self.snapshots.append(text)

    def set_blocks(self, blocks: list[dict[str, Any]]) -> None:
        self.blocks = blocks
        self.block_history.append(copy.deepcopy(blocks))

    def shown_strings(self) -> list[str]:
        """Every text snapshot plus every string inside every version of the blocks."""
        found = list(self.snapshots)
        for blocks in self.block_history:
            found += strings_in(blocks)
        return found

    def to_api(self, team_id: str) -> dict[str, Any]:
        """The message as `conversations.*` and `chat.*` responses show it."""
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if self.user:
            out["user"] = self.user
        if self.bot_id:
            out["bot_id"] = self.bot_id
            out["app_id"] = self.app_id
            out["bot_profile"] = {"id": self.bot_id, "app_id": self.app_id, "team_id": team_id}
        out["team"] = team_id
        if self.blocks is not None:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.metadata is not None:
            out["metadata"] = copy.deepcopy(self.metadata)
        if self.files:
            out["files"] = copy.deepcopy(self.files)
            out["upload"] = False
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.edited_ts:
            out["edited"] = {"user": self.user, "ts": self.edited_ts}
        if self.reactions:
            out["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in self.reactions.items()
            ]
        return out


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    message_ts: str


class MessageStore:
    """Messages keyed by (channel, ts), plus the records tests audit."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._messages: dict[tuple[str, str], Message] = {}
        self._next_micros = _BASE_MICROS
        self.ephemerals: list[Ephemeral] = []
        self.statuses: dict[tuple[str, str], list[str]] = {}
        self.titles: dict[tuple[str, str], list[str]] = {}
        self.views: dict[str, dict[str, Any]] = {}  # App Home views published, per user

    def next_ts(self) -> str:
        """A fresh, strictly increasing ts (shared by every channel, like a real clock)."""
        with self.lock:
            ts = ts_from_micros(self._next_micros)
            self._next_micros += _STEP_MICROS
            return ts

    def add(self, message: Message) -> Message:
        with self.lock:
            self._messages[(message.channel, message.ts)] = message
            if not message.snapshots:
                message.snapshots.append(message.text)
            if message.blocks is not None and not message.block_history:
                message.block_history.append(copy.deepcopy(message.blocks))
            return message

    def get(self, channel: str, ts: str) -> Message | None:
        """The live message (server side only: callers must hold `lock` while mutating)."""
        message = self._messages.get((channel, ts))
        return None if message is None or message.deleted else message

    def copy_of(self, channel: str, ts: str) -> Message | None:
        with self.lock:
            message = self._messages.get((channel, ts))
            return copy.deepcopy(message) if message is not None else None

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """Parent (if stored) and replies, oldest first, deleted ones left out."""
        with self.lock:
            found = [
                m for m in self._live(channel) if m.ts == thread_ts or m.thread_ts == thread_ts
            ]
            return copy.deepcopy(sorted(found, key=_ts_key))

    def top_level(self, channel: str) -> list[Message]:
        """Channel history: messages that are not thread replies, newest first."""
        with self.lock:
            found = [m for m in self._live(channel) if m.thread_ts in (None, m.ts)]
            return copy.deepcopy(sorted(found, key=_ts_key, reverse=True))

    def _live(self, channel: str) -> list[Message]:
        return [m for (ch, _), m in self._messages.items() if ch == channel and not m.deleted]

    def all_messages(self) -> list[Message]:
        with self.lock:
            return copy.deepcopy(sorted(self._messages.values(), key=_ts_key))

    def reply_stats(self, channel: str, thread_ts: str) -> tuple[int, list[str]]:
        """(reply_count, reply_users) of a thread, as Slack shows them on the parent."""
        with self.lock:
            replies = [
                m for m in self._live(channel) if m.thread_ts == thread_ts and m.ts != thread_ts
            ]
            users = sorted({m.user for m in replies if m.user})
            return len(replies), users


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def _ts_key(message: Message) -> tuple[int, int]:
    seconds, _, micros = message.ts.partition(".")
    return int(seconds), int(micros or 0)
