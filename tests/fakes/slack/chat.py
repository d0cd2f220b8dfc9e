"""`chat.*` methods: post, update, delete, ephemeral, and the three streaming calls.

Every change to a message's visible text goes through `Message.set_text`, so its `snapshots`
list is the full history a user could have seen (what tests audit for leaks).
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.slack.store import Ephemeral, Message, MessageStore
from tests.fakes.slack.validation import (
    MAX_STREAM_APPEND,
    SlackError,
    check_blocks,
    check_text,
)
from tests.fakes.slack.workspace import Workspace

Params = dict[str, Any]


class ChatMethods:
    def __init__(self, store: MessageStore, workspace: Workspace) -> None:
        self.store = store
        self.ws = workspace

    def handlers(self) -> dict[str, Any]:
        return {
            "chat.postMessage": self.post_message,
            "chat.update": self.update,
            "chat.delete": self.delete,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.startStream": self.start_stream,
            "chat.appendStream": self.append_stream,
            "chat.stopStream": self.stop_stream,
        }

    # --- plain messages -----------------------------------------------------------------------

    def _fits(self, text: str, blocks: list[dict[str, Any]] | None) -> None:
        limit = self.ws.message_chars
        if limit is not None and len(text) + len(json.dumps(blocks or [])) > limit:
            raise SlackError("msg_too_long")

    def post_message(self, params: Params) -> dict[str, Any]:
        channel = _channel(params)
        text, blocks = _content(params)
        self._fits(text, blocks)
        message = Message(
            channel=channel,
            ts=self.store.next_ts(),
            text=text,
            user=self.ws.bot_user_id,
            bot_id=self.ws.bot_id,
            app_id=self.ws.app_id,
            thread_ts=params.get("thread_ts") or None,
            blocks=blocks,
            metadata=params.get("metadata"),
            link_names=_has(params, "link_names"),
        )
        self.store.add(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": message.to_api(self.ws.team_id),
        }

    def update(self, params: Params) -> dict[str, Any]:
        channel = _channel(params)
        text, blocks = _content(params)
        self._fits(text, blocks)
        with self.store.lock:
            message = self._own_message(channel, params.get("ts"), "cant_update_message")
            if "text" in params:
                message.set_text(text)
            if blocks is not None:
                message.set_blocks(blocks)
            if "metadata" in params:
                message.metadata = params["metadata"]
            message.link_names = message.link_names or _has(params, "link_names")
            message.edited_ts = self.store.next_ts()
            shown = message.to_api(self.ws.team_id)
        return {"ok": True, "channel": channel, "ts": message.ts, "text": text, "message": shown}

    def delete(self, params: Params) -> dict[str, Any]:
        channel = _channel(params)
        with self.store.lock:
            message = self._own_message(channel, params.get("ts"), "cant_delete_message")
            message.deleted = True
        return {"ok": True, "channel": channel, "ts": message.ts}

    def post_ephemeral(self, params: Params) -> dict[str, Any]:
        channel = _channel(params)
        user = params.get("user")
        if not user:
            raise SlackError("user_not_in_channel")
        text, blocks = _content(params)
        ts = self.store.next_ts()
        with self.store.lock:
            self.store.ephemerals.append(
                Ephemeral(channel, user, text, blocks, params.get("thread_ts"), ts)
            )
        return {"ok": True, "message_ts": ts}

    # --- streaming ----------------------------------------------------------------------------

    def start_stream(self, params: Params) -> dict[str, Any]:
        channel = _channel(params)
        thread_ts = params.get("thread_ts")
        if not thread_ts:
            raise SlackError("invalid_arguments", detail="thread_ts is required")
        if not channel.startswith("D"):
            if not params.get("recipient_user_id"):
                raise SlackError("missing_recipient_user_id")
            if not params.get("recipient_team_id"):
                raise SlackError("missing_recipient_team_id")
        added, chunks = _stream_piece(params)
        message = Message(
            channel=channel,
            ts=self.store.next_ts(),
            text=added,
            user=self.ws.bot_user_id,
            bot_id=self.ws.bot_id,
            app_id=self.ws.app_id,
            thread_ts=thread_ts,
            stream_state="streaming",
            chunks=chunks,
        )
        self.store.add(message)
        return {"ok": True, "channel": channel, "ts": message.ts}

    def append_stream(self, params: Params) -> dict[str, Any]:
        channel = _channel(params)
        added, chunks = _stream_piece(params)
        if not added and not chunks:
            raise SlackError("invalid_arguments", detail="markdown_text or chunks is required")
        with self.store.lock:
            message = self._streaming_message(channel, params.get("ts"))
            if added:
                message.set_text(message.text + added)
            message.chunks.extend(chunks)
        return {"ok": True, "channel": channel, "ts": message.ts}

    def stop_stream(self, params: Params) -> dict[str, Any]:
        channel = _channel(params)
        added, chunks = _stream_piece(params)
        blocks = params.get("blocks")
        check_blocks(blocks)
        with self.store.lock:
            message = self._streaming_message(channel, params.get("ts"))
            if added:
                message.set_text(message.text + added)
            message.chunks.extend(chunks)
            if blocks is not None:
                message.set_blocks(blocks)
            if params.get("metadata") is not None:
                message.metadata = params["metadata"]
            message.stream_state = "stopped"
            shown = message.to_api(self.ws.team_id)
        return {"ok": True, "channel": channel, "ts": message.ts, "message": shown}

    # --- lookups ------------------------------------------------------------------------------

    def _own_message(self, channel: str, ts: str | None, not_ours: str) -> Message:
        message = self.store.get(channel, ts or "")
        if message is None:
            raise SlackError("message_not_found")
        if message.bot_id != self.ws.bot_id:
            raise SlackError(not_ours)
        return message

    def _streaming_message(self, channel: str, ts: str | None) -> Message:
        message = self.store.get(channel, ts or "")
        if message is None:
            raise SlackError("message_not_found")
        if message.stream_state != "streaming":
            raise SlackError("message_not_in_streaming_state")
        return message


def _channel(params: Params) -> str:
    channel = params.get("channel")
    if not channel or not isinstance(channel, str):
        raise SlackError("channel_not_found")
    return channel


def _content(params: Params) -> tuple[str, list[dict[str, Any]] | None]:
    """Validated (text, blocks); Slack refuses a message with neither."""
    text = params.get("text")
    blocks = params.get("blocks")
    check_text(text)
    check_blocks(blocks)
    if not text and not blocks:
        raise SlackError("no_text")
    return str(text or ""), blocks


def _stream_piece(params: Params) -> tuple[str, list[dict[str, Any]]]:
    """Markdown appended by one streaming call (from `markdown_text` and markdown chunks)."""
    text = params.get("markdown_text") or ""
    chunks = params.get("chunks") or []
    if not isinstance(chunks, list):
        raise SlackError("invalid_chunks")
    for chunk in chunks:
        if not isinstance(chunk, dict) or "type" not in chunk:
            raise SlackError("invalid_chunks")
        if chunk["type"] == "markdown_text":
            text += str(chunk.get("text", ""))
    if len(text) > MAX_STREAM_APPEND:
        raise SlackError("msg_too_long")
    return text, list(chunks)


def _has(params: Params, name: str) -> bool:
    return params.get(name) is not None
