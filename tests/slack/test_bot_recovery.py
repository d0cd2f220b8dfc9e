"""Nothing a user sends is lost: crashes after the ack, stale jobs, failures mid-answer."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store.store import Store
from tests.fakes.article_server import ArticleServer
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.waiting import wait_for
from tests.processes import alive, descendants
from tests.shared_data import REPO_ROOT
from tests.slack.harness import CHANNEL, SIGNING_SECRET, is_summary, running_bot, shown


def start_bot_process(
    slack: FakeSlack, llm: FakeOpenAI, data: Path, port: int | None = None, *, lease_s: int = 2
) -> subprocess.Popen:
    """`articlebot run` as its own process, as an admin would start it (HTTP mode with a port)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "SLACK_"))}
    env |= {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "LLM_BASE_URL": llm.base_url,
        "LLM_API_KEY": "sk-crash-test-0123456789",
        "DATA_DIR": str(data),
        "FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
        "SLACK_JOB_LEASE_SECONDS": str(lease_s),
    }
    http = ["--http", "--host", "127.0.0.1", "--port", str(port)] if port else []
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", *http],
        cwd=data.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_signed(slack: FakeSlack, port: int, event: dict) -> int:
    """Deliver an event as Slack does in HTTP mode; retries while the bot is starting."""
    body = json.dumps(slack.event_body(event)).encode()
    headers = {"Content-Type": "application/json", **slack.sign(body, SIGNING_SECRET)}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
    )

    def attempt() -> int | None:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except OSError:
            return None  # not listening yet

    return wait_for(attempt, timeout=30, message="bot accepting events")


@pytest.mark.parametrize("mode", ["socket", "http"])
def test_crash_after_ack_is_resumed_on_start(tmp_path: Path, mode: str) -> None:
    with ExitStack() as stack:
        slack = stack.enter_context(FakeSlack())
        llm = stack.enter_context(FakeOpenAI())
        web = stack.enter_context(ArticleServer())
        data = tmp_path / "data"
        port = free_port() if mode == "http" else None
        # The first process will hang in the LLM call, then be killed.
        llm.script_for("summary", Reply(stall=True))
        llm.script_for("actors", Reply(stall=True))
        first = start_bot_process(slack, llm, data, port)
        stack.callback(first.kill)
        text = f"<@{slack.bot_user_id}> <{web.url('/tidal')}>"
        message, event = slack.user_message(CHANNEL, text)
        if port is None:
            slack.wait_connected(timeout=30)
            slack.wait_for_ack(slack.send_event(event), timeout=10)
        else:
            assert post_signed(slack, port, event) == 200
        wait_for(lambda: len(llm.chat_requests) >= 2, timeout=20, message="LLM called")
        assert len(slack.bot_replies(CHANNEL, message.ts)) == 1  # the placeholder
        first.send_signal(signal.SIGKILL)  # a crash: no shutdown, no cleanup
        first.wait(timeout=10)

        second = start_bot_process(slack, llm, data, port)
        stack.callback(second.kill)
        replies = wait_for(
            lambda: [r for r in slack.bot_replies(CHANNEL, message.ts) if is_summary(r)],
            timeout=40,
            message="summary posted after restart",
        )
        assert len(slack.bot_replies(CHANNEL, message.ts)) == 1, "the placeholder was edited"
        assert "Port Ellery" in shown(replies[0])
        second.send_signal(signal.SIGTERM)  # graceful stop
        assert second.wait(timeout=20) == 0, second.stderr.read() if second.stderr else ""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_kill_9_leaves_no_process_behind_and_the_restart_takes_over_at_once(
    tmp_path: Path,
) -> None:
    """The lease is ten minutes: only the dead worker's freed lock can explain a quick resume."""
    with ExitStack() as stack:
        slack = stack.enter_context(FakeSlack())
        llm = stack.enter_context(FakeOpenAI())
        web = stack.enter_context(ArticleServer())
        data = tmp_path / "data"
        llm.script_for("summary", Reply(stall=True))
        llm.script_for("actors", Reply(stall=True))
        first = start_bot_process(slack, llm, data, lease_s=600)
        stack.callback(first.kill)
        text = f"<@{slack.bot_user_id}> <{web.url('/tidal')}>"
        message, event = slack.user_message(CHANNEL, text)
        slack.wait_connected(timeout=30)
        slack.wait_for_ack(slack.send_event(event), timeout=10)
        wait_for(lambda: len(llm.chat_requests) >= 2, timeout=20, message="LLM called")
        workers = descendants(first.pid)  # the extraction worker (and its resource tracker)
        assert workers, "the article was extracted in a worker process"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        wait_for(
            lambda: not alive(workers), timeout=30, message=lambda: f"orphans: {alive(workers)}"
        )

        second = start_bot_process(slack, llm, data, lease_s=600)
        stack.callback(second.kill)
        wait_for(
            lambda: [r for r in slack.bot_replies(CHANNEL, message.ts) if is_summary(r)],
            timeout=60,  # far below the lease: it was not the lease that ran out
            message="summary posted after restart",
        )
        assert len(slack.bot_replies(CHANNEL, message.ts)) == 1, "the placeholder was edited"
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0, second.stderr.read() if second.stderr else ""


async def test_stale_unfinished_job_gets_an_apology(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        await h.stop()
        message = h.slack.add_message(CHANNEL, f"<@{h.slack.bot_user_id}> old request")
        long_ago = datetime.now(UTC) - timedelta(hours=2)
        store = await Store.open(h.settings().resolved_database_url, clock=lambda: long_ago)
        job = await store.record_request(
            event_id="EvOLD",
            channel=CHANNEL,
            ts=message.ts,
            kind="summary",
            payload={"text": f"<{h.web.url('/tidal')}>", "files": []},
            team=h.slack.team_id,
            user="U0USER",
            thread_ts=message.ts,
        )
        await store.close()
        assert job is not None
        await h.start()
        [reply] = await h.wait_replies(message.ts, lambda rs: bool(rs))
        assert "restarted" in shown(reply) and "ask again" in shown(reply)
        assert h.llm.chat_requests == []


async def test_llm_failing_mid_answer_finishes_with_the_offline_answer(tmp_path: Path) -> None:
    async with running_bot(tmp_path, llm_timeout_seconds=1.0, llm_max_retries=0) as h:
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        h.llm.script_for(
            "answer",
            Reply(
                content={
                    "quotes": [],
                    "answerable": True,
                    "answer": "The project will bring permanent jobs to the town, according to "
                    "the mayor, and a community fund paid by the developer every year.",
                },
                stall_after_chunks=12,
            ),
        )
        await h.say("How many permanent jobs will the project bring?", thread_ts=message.ts)
        await h.wait_idle(timeout=30)
        answer = shown(h.replies(message.ts)[-1])
        assert "failed part-way" in answer and "offline" in answer
        assert "40 permanent jobs" in answer


def test_manifest_declares_what_the_bot_uses() -> None:
    manifest = (REPO_ROOT / "manifest.yml").read_text()
    for scope in (
        "app_mentions:read", "chat:write", "channels:history", "groups:history", "im:history",
        "mpim:history", "reactions:write", "files:read",
    ):  # fmt: skip
        assert f"- {scope}" in manifest
    for event in ("app_mention", "message.channels", "message.groups", "message.im",
                  "message.mpim"):  # fmt: skip
        assert f"- {event}" in manifest
    assert "socket_mode_enabled: true" in manifest


def run_command(env: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "SLACK_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=tmp_path,
        env=clean | {"DATA_DIR": str(tmp_path / "data")} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_tokens_explains_what_is_missing(tmp_path: Path) -> None:
    result = run_command({}, tmp_path)
    assert result.returncode == 1 and "SLACK_BOT_TOKEN" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = run_command({"SLACK_BOT_TOKEN": "xoxb-1"}, tmp_path)
    assert result.returncode == 1 and "SLACK_APP_TOKEN" in result.stderr
    result = run_command({"SLACK_BOT_TOKEN": "xoxb-1"}, tmp_path, "--http")
    assert result.returncode == 1 and "SLACK_SIGNING_SECRET" in result.stderr


def test_run_with_a_rejected_token_says_so_without_printing_it(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-wrong-token-0123456789",
            "SLACK_APP_TOKEN": slack.app_token,
            "SLACK_API_URL": slack.api_url,
        }
        result = run_command(env, tmp_path)
    assert result.returncode == 1 and "invalid_auth" in result.stderr
    assert "xoxb-wrong-token" not in result.stderr


async def test_answer_resumed_after_a_crash_mid_stream_finishes_in_the_same_message(
    tmp_path: Path,
) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    async with running_bot(tmp_path) as h:
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        await h.stop()
        # What a worker that died mid-answer leaves: a job whose reply is an open stream.
        question = h.slack.add_message(CHANNEL, "Who is Moira Keane?", thread_ts=message.ts)
        client = AsyncWebClient(token=h.slack.bot_token, base_url=h.slack.api_url)
        stream = await client.chat_startStream(
            channel=CHANNEL, thread_ts=message.ts, recipient_team_id=h.slack.team_id,
            recipient_user_id="U0USER", markdown_text="Moira Keane is the ch",
        )  # fmt: skip
        store = await Store.open(h.settings().resolved_database_url)
        job = await store.record_request(
            event_id="EvMID", channel=CHANNEL, ts=question.ts, kind="answer",
            payload={"text": "Who is Moira Keane?", "question": "Who is Moira Keane?"},
            team=h.slack.team_id,
            user="U0USER", thread_ts=message.ts,
        )  # fmt: skip
        assert job is not None
        await store.set_job_reply(job.id, stream["ts"])
        await store.close()
        await h.start()
        await h.wait_replies(message.ts, lambda rs: "Fishermen" in shown(rs[-1]))
        await h.wait_idle()
        replies = h.replies(message.ts)
        assert len(replies) == 2, "the interrupted answer was finished, not answered again"
        assert replies[-1].ts == stream["ts"] and replies[-1].stream_state == "stopped"
