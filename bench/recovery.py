"""Recovery after kill -9: how long a restarted bot takes to finish its dead predecessor's job,
and what the dead bot leaves running.

Each round starts `articlebot run` (Socket Mode, default settings: a 30 s job lease) against a
fake Slack, a fake LLM and a local article server; a mention's LLM calls hang; once they are
in flight the bot is killed with SIGKILL and started again. Printed: the time from the restart
to the job taken over (read from the database: its owner changes; target <= 5 s), the time
from the restart and from the kill to the summary posted in the thread, and the processes the
killed bot left behind (extraction workers, resource tracker), counted a few seconds after the
kill (target 0). `--bot-src DIR` runs another checkout's bot
(e.g. an export of main) for a "before".

    .venv/bin/python bench/recovery.py [--rounds 5] [--bot-src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.article_server import ArticleServer  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI, Reply  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402
from tests.processes import alive, descendants  # noqa: E402

CHANNEL = "C0CRASH"
ORPHAN_GRACE_S = 3.0  # how long the killed bot's children get to notice and exit


def start_bot(slack: FakeSlack, llm: FakeOpenAI, data: Path, bot_src: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "SLACK_"))}
    env |= {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "LLM_BASE_URL": llm.base_url,
        "LLM_API_KEY": "sk-recovery-bench",
        "DATA_DIR": str(data),
        "FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
        "LOG_LEVEL": "WARNING",
    }
    if bot_src:
        env["PYTHONPATH"] = str(Path(bot_src).resolve())
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=data.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def wait(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {what}")


def watch(events: dict[str, Callable[[], bool]], timeout: float) -> dict[str, float]:
    """When each event first happened (time.monotonic()), all watched together."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(events):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {sorted(set(events) - set(seen))}")
        for name, happened in events.items():
            if name not in seen and happened():
                seen[name] = time.monotonic()
        time.sleep(0.02)
    return seen


def owner(data: Path) -> str | None:
    """The worker that holds the (only) job, read as any SQLite reader would."""
    with sqlite3.connect(f"file:{data / 'articlebot.db'}?mode=ro", uri=True, timeout=5) as db:
        row = db.execute("SELECT worker FROM jobs ORDER BY id LIMIT 1").fetchone()
    return None if row is None else row[0]


Round = tuple[float, float, float, float, int]


def one_round(bot_src: str, timeout: float) -> Round:
    """(restart -> taken over, -> summary, -> connected to Slack; kill -> summary; processes
    left behind)."""
    with FakeSlack() as slack, FakeOpenAI() as llm, ArticleServer() as web:
        data = Path(tempfile.mkdtemp(prefix="articlebot-recovery-")) / "data"
        llm.script_for("summary", Reply(stall=True))
        llm.script_for("actors", Reply(stall=True))
        first = start_bot(slack, llm, data, bot_src)
        second = None
        try:
            slack.wait_connected(timeout=60)
            message, event = slack.user_message(
                CHANNEL, f"<@{slack.bot_user_id}> <{web.url('/tidal')}>"
            )
            slack.wait_for_ack(slack.send_event(event), timeout=10)
            wait(lambda: len(llm.chat_requests) >= 2, 60, "the first bot's LLM calls")
            children = descendants(first.pid)
            dead_owner = owner(data)
            killed = time.monotonic()
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            restarted = time.monotonic()
            second = start_bot(slack, llm, data, bot_src)

            def summary_posted() -> bool:
                replies = slack.bot_replies(CHANNEL, message.ts)
                return any("TL;DR" in json.dumps(r.blocks or []) for r in replies)

            wait(lambda: slack.open_connections == 0, 30, "the dead bot's socket closed")
            seen = watch(
                {
                    "taken": lambda: owner(data) != dead_owner,
                    "connected": lambda: slack.open_connections > 0,
                    "posted": summary_posted,
                },
                timeout,
            )
            taken, connected, posted = seen["taken"], seen["connected"], seen["posted"]
            time.sleep(max(0.0, killed + ORPHAN_GRACE_S - time.monotonic()))
            orphans = alive(children)
            for pid in orphans:  # clean up what the bot left, so rounds do not add up
                os.kill(pid, signal.SIGKILL)
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.terminate()
                    process.wait(timeout=30)
    return (
        taken - restarted,
        posted - restarted,
        connected - restarted,
        posted - killed,
        len(orphans),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bot-src", default="", help="run the bot from this source directory")
    parser.add_argument("--timeout", type=float, default=120.0, help="per round, seconds")
    args = parser.parse_args()
    results = [one_round(args.bot_src, args.timeout) for _ in range(args.rounds)]
    takeover = [r[0] for r in results]
    from_restart = [r[1] for r in results]
    connected = [r[2] for r in results]
    from_kill = [r[3] for r in results]
    orphans = [r[4] for r in results]
    print(f"recovery after kill -9 ({args.rounds} rounds, bot from "
          f"{args.bot_src or 'this checkout'}, default 30 s lease):")  # fmt: skip
    print(
        f"  restart -> job taken over: median {statistics.median(takeover):6.2f} s   "
        f"max {max(takeover):6.2f} s   (target <= 5 s)   " + " ".join(f"{v:.2f}" for v in takeover)
    )
    print(
        f"  restart -> summary posted: median {statistics.median(from_restart):6.2f} s   "
        f"max {max(from_restart):6.2f} s   " + " ".join(f"{v:.2f}" for v in from_restart)
    )
    print(
        f"  (restart -> connected to Slack, i.e. start-up alone: median "
        f"{statistics.median(connected):.2f} s)"
    )
    print(
        f"  kill -> summary posted:    median {statistics.median(from_kill):6.2f} s   "
        f"max {max(from_kill):6.2f} s"
    )
    print(
        f"  processes left by the killed bot after {ORPHAN_GRACE_S:.0f} s: "
        f"{sum(orphans)} in total ({', '.join(map(str, orphans))} per round; target 0)"
    )


if __name__ == "__main__":
    main()
