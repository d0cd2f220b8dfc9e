"""The non-chat Web API methods: auth, reactions, conversations, assistant threads, files, apps."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from tests.fakes.slack.files import FileRegistry
from tests.fakes.slack.store import Message, MessageStore
from tests.fakes.slack.validation import SlackError, check_blocks
from tests.fakes.slack.workspace import Workspace

Params = dict[str, Any]
MAX_VIEW_BLOCKS = 100


class OtherMethods:
    def __init__(
        self,
        store: MessageStore,
        workspace: Workspace,
        files: FileRegistry,
        base_url: Callable[[], str],
        issue_socket_url: Callable[[], str],
    ) -> None:
        self.store = store
        self.ws = workspace
        self.files = files
        self.base_url = base_url
        self.issue_socket_url = issue_socket_url

    def handlers(self) -> dict[str, Any]:
        return {
            "auth.test": self.auth_test,
            "reactions.add": self.reactions_add,
            "reactions.remove": self.reactions_remove,
            "conversations.replies": self.replies,
            "conversations.history": self.history,
            "assistant.threads.setStatus": self.set_status,
            "assistant.threads.setTitle": self.set_title,
            "assistant.threads.setSuggestedPrompts": self.set_prompts,
            "files.info": self.files_info,
            "apps.connections.open": self.connections_open,
            "chat.getPermalink": self.permalink,
            "users.info": self.users_info,
            "views.publish": self.views_publish,
        }

    # --- permalinks, users, App Home ----------------------------------------------------------

    def permalink(self, params: Params) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("message_ts")
        if not channel:
            raise SlackError("channel_not_found")
        if self.store.get(str(channel), str(ts or "")) is None:
            raise SlackError("message_not_found")
        link = f"https://fake-team.slack.com/archives/{channel}/p{str(ts).replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def users_info(self, params: Params) -> dict[str, Any]:
        user = params.get("user")
        if not user or not str(user).startswith(("U", "W")):
            raise SlackError("user_not_found")
        admin = str(user) in self.ws.admins
        return {
            "ok": True,
            "user": {
                "id": user,
                "team_id": self.ws.team_id,
                "name": "person",
                "deleted": False,
                "is_admin": admin,
                "is_owner": False,
                "is_primary_owner": False,
                "is_bot": False,
                "tz": "Europe/London",
            },
        }

    def views_publish(self, params: Params) -> dict[str, Any]:
        user, view = params.get("user_id"), params.get("view")
        if not user:
            raise SlackError("invalid_arguments", detail="user_id is required")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments", detail="view must be a home view")
        blocks = view.get("blocks") or []
        if len(blocks) > MAX_VIEW_BLOCKS:
            raise SlackError("invalid_arguments", detail="no more than 100 items allowed")
        check_blocks(blocks[:50])  # the per-block rules (the 50-block cap is for messages)
        check_blocks(blocks[50:])
        with self.store.lock:
            self.store.views[str(user)] = view
        return {
            "ok": True,
            "view": {"id": "V" + str(len(self.store.views)), "type": "home", **view},
        }

    def auth_test(self, params: Params) -> dict[str, Any]:
        return {
            "ok": True,
            "url": self.base_url() + "/",
            "team": self.ws.team_name,
            "user": self.ws.bot_name,
            "team_id": self.ws.team_id,
            "user_id": self.ws.bot_user_id,
            "bot_id": self.ws.bot_id,
            "is_enterprise_install": False,
        }

    def connections_open(self, params: Params) -> dict[str, Any]:
        return {"ok": True, "url": self.issue_socket_url()}

    # --- reactions ----------------------------------------------------------------------------

    def reactions_add(self, params: Params) -> dict[str, Any]:
        name = _reaction_name(params)
        with self.store.lock:
            message = self._message(params)
            users = message.reactions.setdefault(name, [])
            if self.ws.bot_user_id in users:
                raise SlackError("already_reacted")
            users.append(self.ws.bot_user_id)
        return {"ok": True}

    def reactions_remove(self, params: Params) -> dict[str, Any]:
        name = _reaction_name(params)
        with self.store.lock:
            message = self._message(params)
            users = message.reactions.get(name, [])
            if self.ws.bot_user_id not in users:
                raise SlackError("no_reaction")
            users.remove(self.ws.bot_user_id)
            if not users:
                del message.reactions[name]
        return {"ok": True}

    def _message(self, params: Params) -> Message:
        channel, ts = params.get("channel"), params.get("timestamp")
        if not channel:
            raise SlackError("channel_not_found")
        message = self.store.get(channel, ts or "")
        if message is None:
            raise SlackError("message_not_found")
        return message

    # --- conversations ------------------------------------------------------------------------

    def replies(self, params: Params) -> dict[str, Any]:
        channel, thread_ts = params.get("channel"), params.get("ts")
        if not channel:
            raise SlackError("channel_not_found")
        thread = self.store.thread(channel, thread_ts or "")
        if not thread or thread[0].ts != thread_ts:
            raise SlackError("thread_not_found")
        shown = [self._shown(m) for m in _in_range(thread, params)]
        if not _truthy(params.get("include_all_metadata")):
            for message in shown:  # Slack returns message metadata only when asked
                message.pop("metadata", None)
        return _page(shown, params, default_limit=1000)

    def history(self, params: Params) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            raise SlackError("channel_not_found")
        shown = [self._shown(m) for m in _in_range(self.store.top_level(channel), params)]
        return _page(shown, params, default_limit=100)

    def _shown(self, message: Message) -> dict[str, Any]:
        """A message as conversations.* list it: parents carry reply stats, replies the parent."""
        out = message.to_api(self.ws.team_id)
        if message.thread_ts and message.thread_ts != message.ts:
            parent = self.store.copy_of(message.channel, message.thread_ts)
            if parent is not None and parent.user:
                out["parent_user_id"] = parent.user
            return out
        count, users = self.store.reply_stats(message.channel, message.ts)
        if count:
            replies = self.store.thread(message.channel, message.ts)
            out.update(
                thread_ts=message.ts,
                reply_count=count,
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=replies[-1].ts,
            )
        return out

    # --- assistant threads --------------------------------------------------------------------

    def set_status(self, params: Params) -> dict[str, Any]:
        key = _thread_key(params)
        if "status" not in params:
            raise SlackError("invalid_arguments", detail="status is required")
        with self.store.lock:
            self.store.statuses.setdefault(key, []).append(str(params["status"]))
        return {"ok": True}

    def set_title(self, params: Params) -> dict[str, Any]:
        key = _thread_key(params)
        with self.store.lock:
            self.store.titles.setdefault(key, []).append(str(params.get("title", "")))
        return {"ok": True}

    def set_prompts(self, params: Params) -> dict[str, Any]:
        _thread_key(params)
        if not isinstance(params.get("prompts"), list):
            raise SlackError("invalid_arguments", detail="prompts is required")
        return {"ok": True}

    # --- files --------------------------------------------------------------------------------

    def files_info(self, params: Params) -> dict[str, Any]:
        found = self.files.get(str(params.get("file", "")))
        if found is None:
            raise SlackError("file_not_found")
        return {
            "ok": True,
            "file": found,
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }


def _reaction_name(params: Params) -> str:
    name = params.get("name")
    if not name or not isinstance(name, str) or ":" in name or " " in name:
        raise SlackError("invalid_name")
    return name


def _thread_key(params: Params) -> tuple[str, str]:
    channel, thread_ts = params.get("channel_id"), params.get("thread_ts")
    if not channel or not thread_ts:
        raise SlackError("invalid_arguments", detail="channel_id and thread_ts are required")
    return str(channel), str(thread_ts)


def _in_range(messages: list[Message], params: Params) -> list[Message]:
    """Apply `oldest`/`latest`/`inclusive` the way Slack does (exclusive unless inclusive)."""
    oldest, latest = params.get("oldest"), params.get("latest")
    inclusive = str(params.get("inclusive", "")).lower() in ("1", "true")

    def keep(message: Message) -> bool:
        ts = float(message.ts)
        if oldest is not None and (ts < float(oldest) or (ts == float(oldest) and not inclusive)):
            return False
        return not (
            latest is not None and (ts > float(latest) or (ts == float(latest) and not inclusive))
        )

    return [m for m in messages if keep(m)]


def _page(items: list[dict[str, Any]], params: Params, *, default_limit: int) -> dict[str, Any]:
    """One page plus Slack's cursor fields (`has_more`, `response_metadata.next_cursor`)."""
    try:
        limit = int(params.get("limit") or default_limit)
        start = _decode_cursor(params.get("cursor"))
    except ValueError as exc:
        raise SlackError("invalid_cursor") from exc
    limit = max(1, min(limit, 1000))
    page = items[start : start + limit]
    more = start + limit < len(items)
    cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
    return {
        "ok": True,
        "messages": page,
        "has_more": more,
        "response_metadata": {"next_cursor": cursor},
    }


def _decode_cursor(cursor: Any) -> int:
    if not cursor:
        return 0
    text = base64.b64decode(str(cursor), validate=True).decode()
    prefix, _, number = text.partition(":")
    if prefix != "offset":
        raise ValueError(cursor)
    return int(number)


def _truthy(value: Any) -> bool:
    """A boolean argument as Slack reads it from JSON, a form or a query string."""
    return value is True or str(value).lower() in ("1", "true")
