"""Runs the real bot against a fake Slack, a fake LLM and a local article server.

`BotHarness` starts everything on 127.0.0.1, in Socket Mode or HTTP mode, and delivers events
the way Slack would in that mode (a Socket Mode envelope, or a signed POST to /slack/events).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp

from bot.config import Settings, load_settings
from bot.slack.app import SlackBot
from tests.fakes.article_server import ArticleServer
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack import FakeSlack, events, interactions
from tests.fakes.slack.store import Message

Mode = Literal["socket", "http"]
CHANNEL = "C0NEWS"
SIGNING_SECRET = "test-signing-secret-0123456789"


class BotHarness:
    def __init__(
        self,
        mode: Mode,
        data_dir: Path,
        slack: FakeSlack,
        llm: FakeOpenAI | None,
        web: ArticleServer,
        overrides: dict[str, Any],
    ) -> None:
        self.mode, self.data_dir = mode, data_dir
        self.slack, self.llm, self.web = slack, llm, web
        self.overrides = overrides
        self.bot: SlackBot | None = None
        self._http: aiohttp.ClientSession | None = None

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "data_dir": self.data_dir,
            "fetch_allow_networks": ["127.0.0.1/32"],
            "slack_bot_token": self.slack.bot_token,
            "slack_app_token": self.slack.app_token,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": self.slack.api_url,
            "slack_job_lease_seconds": 2.0,
        }
        if self.llm is not None:
            values |= {"llm_base_url": self.llm.base_url, "llm_api_key": "sk-harness-0123456789"}
        return load_settings(_env_file=None, **(values | self.overrides))

    async def start(self) -> SlackBot:
        self.bot = await SlackBot.start(self.settings(), http=self.mode == "http", port=0)
        if self.mode == "socket":
            await self.slack.wait_connected_async()
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None
            if self.mode == "socket":
                await self.slack.wait_for_async(lambda: self.slack.open_connections == 0)

    async def restart(self) -> SlackBot:
        await self.stop()
        return await self.start()

    async def close(self) -> None:
        await self.stop()
        if self._http is not None:
            await self._http.close()

    # --- delivering events -------------------------------------------------------------------

    async def deliver(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0
    ) -> int:
        """Deliver like Slack; returns the HTTP status (200 for an ack in Socket Mode)."""
        if self.mode == "socket":
            envelope = self.slack.send_event(
                event, event_id=event_id, retry_attempt=retry, retry_reason="timeout" * bool(retry)
            )
            await self.slack.wait_for_ack_async(envelope, timeout=10)
            return 200
        body = json.dumps(self.slack.event_body(event, event_id=event_id)).encode()
        headers = {"Content-Type": "application/json", **self.slack.sign(body, SIGNING_SECRET)}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post_raw(body, headers)

    async def interact(self, payload: dict[str, Any]) -> int:
        """Deliver an interactivity payload (a click, a shortcut) like Slack in this mode."""
        if self.mode == "socket":
            envelope = self.slack.send_envelope("interactive", payload)
            await self.slack.wait_for_ack_async(envelope, timeout=10)
            return 200
        body = interactions.form_body(payload)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **self.slack.sign(body, SIGNING_SECRET),
        }
        return await self.post_raw(body, headers)

    async def command(
        self, text: str, *, channel: str = CHANNEL, user: str = events.USER_ID
    ) -> dict[str, Any]:
        """Run `/articlebot text` like Slack in this mode; returns the ack's body ({} if none)."""
        url = self.slack.response_url(user=user, channel=channel)
        fields = interactions.slash_command(text, channel=channel, response_url=url, user=user)
        if self.mode == "socket":
            envelope = self.slack.send_envelope("slash_commands", fields)
            ack = await self.slack.wait_for_ack_async(envelope, timeout=10)
            return ack.payload or {}
        body = urlencode(fields).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **self.slack.sign(body, SIGNING_SECRET),
        }
        assert self.bot is not None and self.bot.port is not None
        self._http = self._http or aiohttp.ClientSession()
        url = f"http://127.0.0.1:{self.bot.port}/slack/events"
        async with self._http.post(url, data=body, headers=headers) as response:
            assert response.status == 200, await response.text()
            raw = await response.text()
            return json.loads(raw) if raw.strip() else {}

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> int:
        assert self.bot is not None and self.bot.port is not None
        self._http = self._http or aiohttp.ClientSession()
        url = f"http://127.0.0.1:{self.bot.port}/slack/events"
        async with self._http.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def say(
        self, text: str, *, thread_ts: str | None = None, channel: str = CHANNEL, **kw: Any
    ) -> tuple[Message, dict[str, Any]]:
        """A person posts `text`; the bot receives the event. Returns (message, event)."""
        message, event = self.slack.user_message(channel, text, thread_ts=thread_ts, **kw)
        await self.deliver(event)
        return message, event

    async def mention(self, text: str, **kw: Any) -> tuple[Message, dict[str, Any]]:
        return await self.say(f"<@{self.slack.bot_user_id}> {text}", **kw)

    # --- reading the thread ------------------------------------------------------------------

    def replies(self, thread_ts: str, channel: str = CHANNEL) -> list[Message]:
        return self.slack.bot_replies(channel, thread_ts)

    async def wait_replies(
        self,
        thread_ts: str,
        predicate: Callable[[list[Message]], bool],
        *,
        channel: str = CHANNEL,
        timeout: float = 20,
    ) -> list[Message]:
        def check() -> list[Message] | None:
            found = self.replies(thread_ts, channel)
            return found if predicate(found) else None

        return await self.slack.wait_for_async(check, timeout=timeout)

    async def wait_idle(self, timeout: float = 20) -> None:
        """Until no job is running (every accepted request has finished)."""
        assert self.bot is not None
        runner = self.bot.runner
        await self.slack.wait_for_async(lambda: not runner.busy, timeout=timeout)


def shown(message: Message) -> str:
    """Everything a user could read in a message: text and all block text."""
    return message.text + "\n" + json.dumps(message.blocks or [], ensure_ascii=False)


def tokens_used(slack: FakeSlack, thread_ts: str) -> set[str | None]:
    """The tokens of the calls that posted, edited or reacted in a thread."""
    methods = ("chat.postMessage", "chat.update", "chat.startStream", "reactions.add")
    return {
        call.token
        for method in methods
        for call in slack.calls_to(method)
        if thread_ts in (call.params.get("thread_ts"), call.params.get("timestamp"))
    }


def is_summary(message: Message) -> bool:
    """The finished summary (not the one still being written)."""
    text = shown(message)
    return "TL;DR" in text and "Writing the summary" not in text


@asynccontextmanager
async def running_bot(
    tmp_path: Path, mode: Mode = "socket", *, llm: bool = True, **overrides: Any
) -> AsyncIterator[BotHarness]:
    async with AsyncExitStack() as stack:
        slack = stack.enter_context(FakeSlack())
        fake_llm = stack.enter_context(FakeOpenAI()) if llm else None
        web = stack.enter_context(ArticleServer())
        harness = BotHarness(mode, tmp_path / "data", slack, fake_llm, web, overrides)
        stack.push_async_callback(harness.close)
        await harness.start()
        yield harness


@asynccontextmanager
async def running_replicas(
    tmp_path: Path, database_url: str, **overrides: Any
) -> AsyncIterator[tuple[BotHarness, SlackBot]]:
    """Two bots (HTTP mode) on one database and one fake Slack: the harness's, and a second
    replica started with the same settings."""
    async with running_bot(tmp_path, "http", database_url=database_url, **overrides) as first:
        second = await SlackBot.start(first.settings(), http=True, port=0)
        try:
            yield first, second
        finally:
            await second.stop()
