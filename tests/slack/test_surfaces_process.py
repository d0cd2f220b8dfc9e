"""Every Slack surface against a real `articlebot run --http` process (issue 12).

The in-process tests drive `SlackBot` inside the test's event loop; this file starts the bot the
way an admin does, as its own process with settings from the environment, and sends it signed
HTTP requests exactly as Slack would: one per surface, checked on what the fake Slack received.
One process serves the whole module to keep it affordable.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.config import load_settings
from bot.slack.render.feedback_buttons import parse_feedback_value
from bot.store.store import Store
from tests.fakes.article_server import ArticleServer
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack import FakeSlack, events, interactions
from tests.fakes.slack.store import Message
from tests.fakes.slack.waiting import wait_for
from tests.slack.harness import CHANNEL, SIGNING_SECRET, is_summary, shown

TIMEOUT = 60.0  # generous: the bot shares two cores with other test runs
HOME_DM = "D0HOME"
PANE = "D0PANE"
JOBS_QUESTION = "How many permanent jobs will the project bring?"


@dataclass
class BotProcess:
    """A running `articlebot run --http` and the fakes it talks to."""

    slack: FakeSlack
    llm: FakeOpenAI
    web: ArticleServer
    data: Path
    port: int
    process: subprocess.Popen[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def post(self, body: bytes, content_type: str) -> tuple[int, str]:
        """POST `body` signed with the app's signing secret, as Slack does in HTTP mode."""
        headers = {"Content-Type": content_type, **self.slack.sign(body, SIGNING_SECRET)}
        request = urllib.request.Request(self.url, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def deliver(self, event: dict[str, Any]) -> int:
        body = json.dumps(self.slack.event_body(event)).encode()
        return self.post(body, "application/json")[0]

    def interact(self, payload: dict[str, Any]) -> int:
        return self.post(interactions.form_body(payload), "application/x-www-form-urlencoded")[0]

    def mention(self, text: str) -> Message:
        message, event = self.slack.user_message(CHANNEL, f"<@{self.slack.bot_user_id}> {text}")
        assert self.deliver(event) == 200
        return message

    def replies(self, thread_ts: str, channel: str = CHANNEL) -> list[Message]:
        return self.slack.bot_replies(channel, thread_ts)

    def wait_replies(self, thread_ts: str, predicate: Any, channel: str = CHANNEL) -> list[Message]:
        def check() -> list[Message] | None:
            found = self.replies(thread_ts, channel)
            return found if predicate(found) else None

        return wait_for(
            check,
            timeout=TIMEOUT,
            message=lambda: (
                f"replies in {channel}/{thread_ts} (bot alive: "
                f"{self.process.poll() is None}): "
                + repr([shown(r)[:200] for r in self.replies(thread_ts, channel)])
            ),
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bot_env(slack: FakeSlack, llm: FakeOpenAI, data: Path) -> dict[str, str]:
    """The environment an admin would set (as bench/slack_load.py does), nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "SLACK_"))}
    return env | {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "LLM_BASE_URL": llm.base_url,
        "LLM_API_KEY": "sk-surfaces-0123456789",
        "DATA_DIR": str(data),
        "FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
    }


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    root = tmp_path_factory.mktemp("surfaces")
    with ExitStack() as stack:
        slack = stack.enter_context(FakeSlack())
        llm = stack.enter_context(FakeOpenAI())
        web = stack.enter_context(ArticleServer())
        data, port = root / "data", _free_port()
        stderr = (root / "bot.stderr").open("w+")
        stack.callback(stderr.close)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "run",
                "--http",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=root,
            env=_bot_env(slack, llm, data),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
        stack.callback(process.kill)

        def errors() -> str:
            stderr.flush()
            return (root / "bot.stderr").read_text()[-3000:]

        wait_for(
            lambda: process.poll() is not None or _healthy(port),
            timeout=TIMEOUT,
            message="/healthz answering",
        )
        assert process.poll() is None, f"the bot exited: {errors()}"
        yield BotProcess(slack, llm, web, data, port, process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, errors()


@pytest.fixture(scope="module")
def summarised(bot: BotProcess) -> tuple[Message, Message]:
    """(the mention, the finished summary in its thread): one link mentioned in the channel."""
    message = bot.mention(f"<{bot.web.url('/tidal')}>")
    replies = bot.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
    [summary] = [r for r in replies if is_summary(r)]
    return message, summary


def test_mention_with_a_link_gets_one_summary_in_its_thread(
    bot: BotProcess, summarised: tuple[Message, Message]
) -> None:
    message, summary = summarised
    assert summary.thread_ts == message.ts and "Port Ellery" in shown(summary)
    assert len(bot.replies(message.ts)) == 1, "the placeholder became the summary"


def test_follow_up_in_the_thread_without_a_mention_is_answered(
    bot: BotProcess, summarised: tuple[Message, Message]
) -> None:
    message, _ = summarised
    before = len(bot.replies(message.ts))
    _, event = bot.slack.user_message(CHANNEL, JOBS_QUESTION, thread_ts=message.ts)
    assert bot.deliver(event) == 200
    bot.wait_replies(message.ts, lambda rs: len(rs) > before and "40" in shown(rs[-1]))
    answer = bot.replies(message.ts)[-1]
    assert answer.thread_ts == message.ts and not is_summary(answer)


def test_slash_command_sends_the_summary_only_to_the_user(bot: BotProcess) -> None:
    url = bot.slack.response_url(user=events.USER_ID, channel=CHANNEL)
    fields = interactions.slash_command(bot.web.url("/tidal"), channel=CHANNEL, response_url=url)
    posted_before = len(bot.slack.calls_to("chat.postMessage"))
    status, raw = bot.post(urlencode(fields).encode(), "application/x-www-form-urlencoded")
    assert status == 200, raw
    ack = json.loads(raw)
    assert "only to you" in str(ack.get("text")) and ack.get("response_type") == "ephemeral"
    [post] = wait_for(
        lambda: [p for p in bot.slack.response_posts if "TL;DR" in str(p.blocks)],
        timeout=TIMEOUT,
        message="the summary sent to the response_url",
    )
    assert post.ephemeral and post.user == events.USER_ID and "Port Ellery" in str(post.blocks)
    assert len(bot.slack.calls_to("chat.postMessage")) == posted_before, "nothing in the channel"


def test_message_shortcut_summarises_into_that_messages_thread(bot: BotProcess) -> None:
    shared = bot.slack.add_message(
        CHANNEL, f"worth a read <{bot.web.url('/tidal')}>", user="U0ALICE"
    )
    payload = interactions.message_action(
        shared.to_api(bot.slack.team_id),
        channel=CHANNEL,
        callback_id="summarise_article",
        response_url=bot.slack.response_url(user=events.USER_ID, channel=CHANNEL, kind="actions"),
    )
    assert bot.interact(payload) == 200
    replies = bot.wait_replies(shared.ts, lambda rs: any(map(is_summary, rs)))
    [summary] = [r for r in replies if is_summary(r)]
    assert summary.thread_ts == shared.ts and "Port Ellery" in shown(summary)


def _thumbs_up(message: Message) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(block, element, value) of 👍 in a bot message's feedback row, native or plain."""
    for block in message.blocks or []:
        for element in block.get("elements") or []:
            if not str(element.get("action_id", "")).startswith("articlebot_feedback"):
                continue
            if element["type"] == "feedback_buttons":
                return block, element, element["positive_button"]["value"]
            parsed = parse_feedback_value(element["value"])
            if parsed is not None and parsed[1] == "good":
                return block, element, element["value"]
    raise AssertionError(f"no 👍 in {shown(message)}")


def _stored_feedback(data: Path, job: int) -> str | None:
    async def read() -> str | None:
        url = load_settings(_env_file=None, data_dir=data).resolved_database_url
        store = await Store.open(url)
        try:
            return await store.feedback_of(job, events.USER_ID)
        finally:
            await store.close()

    return asyncio.run(read())


def test_thumbs_up_on_the_summary_is_stored_and_acknowledged_privately(
    bot: BotProcess, summarised: tuple[Message, Message]
) -> None:
    _, summary = summarised
    block, element, value = _thumbs_up(summary)
    parsed = parse_feedback_value(value)
    assert parsed is not None
    job = parsed[0]

    def click() -> str:
        before = len(bot.slack.ephemerals)
        payload = interactions.block_actions(
            summary.to_api(bot.slack.team_id),
            interactions.clicked(block, element, value),
            channel=CHANNEL,
        )
        assert bot.interact(payload) == 200
        notes = wait_for(
            lambda: [e for e in bot.slack.ephemerals[before:] if e.user == events.USER_ID],
            timeout=TIMEOUT,
            message="an ephemeral note to the clicker",
        )
        return notes[0].text

    assert "noted" in click()
    assert _stored_feedback(bot.data, job) == "good"
    assert "already rated" in click(), "the first click was remembered"
    assert all(not m.text.startswith("Thanks") for m in bot.slack.messages), "only they saw it"


def test_app_home_opened_publishes_the_home_view(bot: BotProcess) -> None:
    published = len(bot.slack.calls_to("views.publish"))
    assert bot.deliver(events.app_home_opened(events.USER_ID, HOME_DM)) == 200
    calls = wait_for(
        lambda: bot.slack.calls_to("views.publish")[published:],
        timeout=TIMEOUT,
        message="views.publish called",
    )
    assert calls[0].params["user_id"] == events.USER_ID
    with bot.slack.store.lock:
        view = json.dumps(bot.slack.store.views[events.USER_ID], ensure_ascii=False)
    assert "of 30" in view, "the person's quota is on their Home"


def test_assistant_thread_started_greets_and_suggests_prompts(bot: BotProcess) -> None:
    thread_ts = bot.slack.store.next_ts()
    event = events.assistant_thread_event(
        "assistant_thread_started",
        user=events.USER_ID,
        channel=PANE,
        thread_ts=thread_ts,
        context_channel=CHANNEL,
    )
    assert bot.deliver(event) == 200
    [greeting] = bot.wait_replies(thread_ts, lambda rs: len(rs) == 1, channel=PANE)
    assert "Hi!" in shown(greeting)
    [call] = wait_for(
        lambda: [
            c
            for c in bot.slack.calls_to("assistant.threads.setSuggestedPrompts")
            if c.params.get("thread_ts") == thread_ts
        ],
        timeout=TIMEOUT,
        message="suggested prompts set",
    )
    titles = [p["title"] for p in call.params["prompts"]]
    assert "Summarise the last article shared in this channel" in titles and len(titles) == 3
