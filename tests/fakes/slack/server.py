"""`FakeSlack`: the Web API, Socket Mode and file downloads on 127.0.0.1, for end-to-end tests.

The aiohttp server runs on its own event loop in a background thread, so async tests, sync tests
and subprocesses (given `api_url` and the tokens) can all use it. Point the bot at it with
`SLACK_API_URL=fake.api_url`, `SLACK_BOT_TOKEN=fake.bot_token`, `SLACK_APP_TOKEN=fake.app_token`.

    with FakeSlack() as slack:
        msg, event = slack.user_message("C0CHAN", f"<@{slack.bot_user_id}> summarise <url>")
        ...start the bot in Socket Mode...
        await slack.wait_connected_async()
        envelope_id = slack.send_event(event)
        await slack.wait_for_ack_async(envelope_id)
        await wait_for_async(lambda: slack.bot_replies("C0CHAN", msg.ts))

Slack refuses reactions and thread reads on messages it does not have, and so does the fake:
store the user's message (`add_message` / `user_message`) before sending its event.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from aiohttp import web

from tests.fakes.background import BackgroundServer
from tests.fakes.slack import events, faults
from tests.fakes.slack.chat import ChatMethods
from tests.fakes.slack.files import AuthFailure, Download, FileRegistry
from tests.fakes.slack.methods import OtherMethods
from tests.fakes.slack.oauth import OAuthApp
from tests.fakes.slack.responses import ResponsePost, ResponseUrls
from tests.fakes.slack.socket_mode import Ack, Envelope, SocketModeServer
from tests.fakes.slack.store import Ephemeral, Message, MessageStore, strings_in
from tests.fakes.slack.waiting import wait_for, wait_for_async
from tests.fakes.slack.web_api import Call, WebApi
from tests.fakes.slack.workspace import Workspace

T = TypeVar("T")


class FakeSlack(BackgroundServer):
    """Context manager running the fake Slack; see the module docstring."""

    thread_name = "fake-slack"

    sign = staticmethod(events.sign)
    wait_for = staticmethod(wait_for)
    wait_for_async = staticmethod(wait_for_async)

    def __init__(
        self,
        *,
        workspace: Workspace | None = None,
        file_auth_failure: AuthFailure = "redirect",
    ) -> None:
        super().__init__()
        self.workspace = workspace or Workspace()
        self.store = MessageStore()
        self.files = FileRegistry(self.workspace, lambda: self.base_url, file_auth_failure)
        self.socket_mode = SocketModeServer(self.workspace, lambda: f"ws://127.0.0.1:{self.port}")
        self.web_api = WebApi(self.workspace)
        self.web_api.register(ChatMethods(self.store, self.workspace).handlers())
        issue_url = self.socket_mode.issue_url
        others = OtherMethods(
            self.store, self.workspace, self.files, lambda: self.base_url, issue_url
        )
        self.web_api.register(others.handlers())
        self.responses = ResponseUrls(lambda: self.base_url, self.workspace.team_id)
        self.oauth = OAuthApp(self.workspace)
        self.web_api.register(self.oauth.handlers())

    # --- identity -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    @property
    def bot_token(self) -> str:
        return self.workspace.bot_token

    @property
    def app_token(self) -> str:
        return self.workspace.app_token

    @property
    def bot_user_id(self) -> str:
        return self.workspace.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.workspace.bot_id

    @property
    def team_id(self) -> str:
        return self.workspace.team_id

    @property
    def app_id(self) -> str:
        return self.workspace.app_id

    # --- Web API records and failure injection ------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self.web_api._lock:
            return list(self.web_api.calls)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def link_names_calls(self) -> list[Call]:
        """Calls that asked Slack to turn @names into pings (tests assert there are none)."""
        return [c for c in self.calls if c.params.get("link_names") is not None]

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429 with `Retry-After`, as Slack sends."""
        self.web_api.inject(
            method,
            times=times,
            status=429,
            body={"ok": False, "error": "ratelimited"},
            headers={"Retry-After": str(retry_after)},
        )

    def fail_next(self, method: str, error: str, times: int = 1, status: int = 200) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self.web_api.inject(method, times=times, status=status, body={"ok": False, "error": error})

    def inject_fault(
        self,
        method: str,
        fault: str,
        times: int = 1,
        retry_after: int = 1,
        *,
        stored: bool = False,
        skip: int = 0,
    ) -> None:
        """The next `times` calls of `method` fail with `fault` (see `faults.py`): `http_429`,
        `http_500`, `http_503`, `connection_reset`, `lost_response` (done, but the answer never
        arrives), `stall` (never answered), or any Slack error code (`ok: false`). `stored`:
        Slack did the work before failing (an HTTP 500 or `internal_error` after the message
        was stored); `skip`: that many calls go through first."""
        options: dict[str, Any] = {"times": times, "stored": stored, "skip": skip}
        if fault == "http_429":
            self.web_api.inject(
                method,
                status=429,
                body={"ok": False, "error": "ratelimited"},
                headers={"Retry-After": str(retry_after)},
                **options,
            )
        elif fault == "http_500":
            self.web_api.inject(method, status=500, body=faults.SERVER_ERROR_PAGE, **options)
        elif fault == "http_503":
            body = {"ok": False, "error": "service_unavailable"}
            self.web_api.inject(method, status=503, body=body, **options)
        elif fault == "connection_reset":
            self.web_api.inject(method, reset=True, **options)
        elif fault == "lost_response":
            self.web_api.inject(method, lost=True, **options)
        elif fault == "stall":
            self.web_api.inject(method, stall=True, **options)
        else:
            self.web_api.inject(method, body={"ok": False, "error": fault}, **options)

    # --- message store ------------------------------------------------------------------------

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = events.USER_ID,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Store a message as if a person had posted it; returns it with its new `ts`."""
        message = Message(
            channel=channel,
            ts=self.store.next_ts(),
            text=text,
            user=user,
            thread_ts=thread_ts,
            files=list(files or []),
            blocks=blocks if blocks is not None else events.rich_text_blocks(text),
        )
        self.store.add(message)
        return self.store.copy_of(channel, message.ts) or message

    def user_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = events.USER_ID,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> tuple[Message, dict[str, Any]]:
        """Store a person's message and build the event Slack would send the bot for it.

        A mention of the bot outside a DM yields `app_mention` (Slack may also send a `message`
        event for it, which a bot subscribed to channel messages must not answer twice).
        """
        message = self.add_message(channel, text, user=user, thread_ts=thread_ts, files=files)
        parent = self.store.copy_of(channel, thread_ts) if thread_ts else None
        parent_user = parent.user if parent else None
        if f"<@{self.bot_user_id}>" in text and not channel.startswith("D"):
            event = events.app_mention(
                text, user, channel, message.ts, thread_ts, files, parent_user_id=parent_user
            )
        else:
            event = events.message(
                text, user, channel, message.ts, thread_ts, files, parent_user_id=parent_user
            )
        event["team"] = self.team_id
        event["blocks"] = message.blocks or []
        return message, event

    def message(self, channel: str, ts: str) -> Message | None:
        """A copy of one stored message (deleted ones included, with `deleted=True`)."""
        return self.store.copy_of(channel, ts)

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The thread's parent (if stored) and replies, oldest first."""
        return self.store.thread(channel, ts)

    def bot_replies(self, channel: str, thread_ts: str) -> list[Message]:
        """Replies the bot posted in a thread, oldest first (the parent excluded)."""
        return [
            m
            for m in self.store.thread(channel, thread_ts)
            if m.bot_id == self.bot_id and m.ts != thread_ts
        ]

    def reactions(self, channel: str, ts: str) -> list[str]:
        """Reaction names currently on a message, in the order they were added."""
        message = self.store.copy_of(channel, ts)
        return list(message.reactions) if message else []

    @property
    def messages(self) -> list[Message]:
        """Every stored message in every channel, oldest first."""
        return self.store.all_messages()

    @property
    def ephemerals(self) -> list[Ephemeral]:
        with self.store.lock:
            return list(self.store.ephemerals)

    def statuses(self, channel: str, thread_ts: str) -> list[str]:
        """Every `assistant.threads.setStatus` value for a thread, in order ("" clears)."""
        with self.store.lock:
            return list(self.store.statuses.get((channel, thread_ts), []))

    def all_texts(self) -> list[str]:
        """Every string the bot ever showed: text snapshots and block strings of its messages
        (all versions, deleted ones too), ephemerals, statuses. For "never leaked" asserts."""
        texts = [s for m in self.messages if m.bot_id == self.bot_id for s in m.shown_strings()]
        texts += [s for e in self.ephemerals for s in [e.text, *strings_in(e.blocks)]]
        with self.store.lock:
            texts += [s for values in self.store.statuses.values() for s in values]
        return texts

    # --- response_url (slash commands, interactions) ------------------------------------------

    def response_url(self, *, user: str, channel: str, kind: str = "commands") -> str:
        """A fresh response_url for a command or interaction from `user` in `channel`."""
        return self.responses.issue(user=user, channel=channel, kind=kind)

    @property
    def response_posts(self) -> list[ResponsePost]:
        with self.responses._lock:
            return list(self.responses.posts)

    # --- files --------------------------------------------------------------------------------

    def add_file(
        self, content: bytes, name: str, mimetype: str, *, user: str = events.USER_ID
    ) -> dict[str, Any]:
        """Upload a file; returns the Slack file object (its URLs need the bot token)."""
        return self.files.add(content, name, mimetype, user)

    @property
    def downloads(self) -> list[Download]:
        with self.files._lock:
            return list(self.files.downloads)

    # --- Socket Mode --------------------------------------------------------------------------

    @property
    def acks(self) -> list[Ack]:
        with self.socket_mode._lock:
            return list(self.socket_mode.acks)

    @property
    def envelopes(self) -> list[Envelope]:
        with self.socket_mode._lock:
            return list(self.socket_mode.envelopes)

    @property
    def connections_opened(self) -> int:
        """How many Socket Mode connections were ever accepted (grows on reconnects)."""
        with self.socket_mode._lock:
            return self.socket_mode.connections_opened

    @property
    def open_connections(self) -> int:
        return self.socket_mode.open_count

    def add_workspace(
        self, team_id: str, bot_user_id: str = "U0BOT2", *, enterprise_id: str | None = None
    ) -> Workspace:
        """Another workspace where the app can be installed (same API, its own bot token); with
        `enterprise_id`, a workspace of that Grid org installing the app for itself."""
        other = Workspace(
            team_id=team_id,
            team_name=f"Team {team_id}",
            bot_user_id=bot_user_id,
            enterprise_id=enterprise_id,
            enterprise_name=f"Org {enterprise_id}" if enterprise_id else None,
        )
        self.web_api.other_workspaces.append(other)
        return other

    def add_org(self, enterprise_id: str, bot_user_id: str = "U0ORGBOT") -> Workspace:
        """An Enterprise Grid org whose admin can install the app org-wide: one installation,
        one token, for every workspace of the org (`event_body(..., installation=org)`)."""
        org = Workspace(
            team_id=enterprise_id,
            team_name=f"Org {enterprise_id}",
            bot_user_id=bot_user_id,
            enterprise_id=enterprise_id,
            enterprise_name=f"Org {enterprise_id}",
            org_install=True,
        )
        self.web_api.other_workspaces.append(org)
        return org

    def event_body(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        team_id: str | None = None,
        installation: Workspace | None = None,
    ) -> dict[str, Any]:
        """The `event_callback` body for `event`, as Slack POSTs it or wraps it in Socket Mode:
        from workspace `team_id`, seen by `installation` (by default that workspace's own; an
        org from `add_org` for an org-wide install, whose org-level events have no workspace)."""
        installed = installation or self.workspace
        return events.callback_body(
            event,
            team_id=team_id or (installed.team_id if installation else self.team_id),
            api_app_id=self.app_id,
            bot_user_id=installed.bot_user_id,
            verification_token=self.workspace.verification_token,
            event_id=event_id,
            enterprise_id=installed.enterprise_id,
            org_install=installed.org_install,
        )

    def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Deliver an `events_api` envelope to the connected client; returns its envelope_id."""
        body = self.event_body(event, event_id=event_id)
        return self._run(
            self.socket_mode.send_envelope(
                "events_api", body, retry_attempt=retry_attempt, retry_reason=retry_reason
            )
        )

    def send_envelope(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = True
    ) -> str:
        """Deliver another envelope type (`interactive`, `slash_commands`)."""
        return self._run(
            self.socket_mode.send_envelope(
                kind, payload, accepts_response_payload=accepts_response_payload
            )
        )

    def ack_for(self, envelope_id: str) -> Ack | None:
        return next((a for a in self.acks if a.envelope_id == envelope_id), None)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        return wait_for(lambda: self.ack_for(envelope_id), timeout, f"ack for {envelope_id}")

    async def wait_for_ack_async(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        return await wait_for_async(
            lambda: self.ack_for(envelope_id), timeout, f"ack for {envelope_id}"
        )

    def wait_connected(self, timeout: float = 5.0) -> None:
        wait_for(lambda: self.open_connections > 0, timeout, "a Socket Mode connection")

    async def wait_connected_async(self, timeout: float = 5.0) -> None:
        await wait_for_async(lambda: self.open_connections > 0, timeout, "a Socket Mode connection")

    def disconnect_clients(
        self, reason: str = "refresh_requested", close_after: float | None = None
    ) -> int:
        """Ask connected clients to reconnect; with `close_after`, close their sockets too."""
        return self._run(self.socket_mode.disconnect_all(reason, close_after))

    def drop_connections(self) -> int:
        """Close every Socket Mode connection abruptly (no `disconnect` message first)."""
        return self._run(self.socket_mode.drop_all())

    # --- lifecycle ----------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = 5.0) -> T:
        return self.run_on_loop(coro, timeout)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self.web_api.handle)
        app.router.add_get("/socket-mode", self.socket_mode.handle)
        app.router.add_get("/files-pri/{owner}/{rest:.*}", self.files.serve)
        app.router.add_get("/", self.files.login_page)
        for kind in ("commands", "actions"):
            app.router.add_post(f"/{kind}/{{team}}/{{rest:.*}}", self.responses.handle)

    async def on_stop(self) -> None:
        await self.socket_mode.drop_all()
