"""Load on the HTTP-mode bot: N concurrent signed mentions, each with its own article.

The bot runs as its own process (`articlebot run --http`), as in production; the fake Slack,
the fake LLM (fixed latency L per call) and the article server run in this process. Prints:
- ack latency p50/p99 (POST /slack/events round trip, as Slack measures it),
- time to the first visible sign of progress (reaction or placeholder) per mention, p50/p99,
- time until every summary is posted, against the ideal LLM-bound time
  (ceil(2N / LLM_MAX_CONCURRENCY) x L: two calls per summary, bounded concurrency),
- the bot process's peak RSS.
Targets: ack p99 < 100 ms at 100 concurrent mentions, completion within 1.2x the ideal,
peak RSS < 300 MB.

`--flood N` measures fairness instead: one user sends N mentions at once, then another user
sends one; printed is the second user's wait for their summary (against one LLM-bound summary,
2 calls x L, and against the flood's own waits). `--bot-src DIR` runs the bot from another
checkout (e.g. an export of main) for a side-by-side "before".

    .venv/bin/python bench/slack_load.py [--mentions 100] [--latency 1.0] [--concurrency 16]
    .venv/bin/python bench/slack_load.py --first-text 10 --latency 1.0 --chunk-delay 0.05
    .venv/bin/python bench/slack_load.py --flood 200 --latency 0.5 --concurrency 4

`--flood N --before DIR` runs the flood `--rounds` times with the bot from DIR and from this
checkout, alternately, and prints side by side the median and p95 of the other user's time to
the bot's first Slack call for their mention (and to their summary); each round ends when
that summary is posted.

    .venv/bin/python bench/slack_load.py --flood 200 --latency 0.5 --concurrency 4 \
        --before /tmp/main-src --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.article_server import ArticleServer  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI, Reply  # noqa: E402
from tests.fakes.slack import Call, FakeSlack  # noqa: E402

SECRET = "bench-signing-secret"
CHANNEL = "C0LOAD"
SAMPLE = (REPO / "samples" / "tidal-pilot.md").read_text(encoding="utf-8")


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    """The bot's worker processes (article extraction)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


async def wait_healthy(url: str, deadline: float) -> None:
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the bot did not become healthy")


def _serve_articles(web: ArticleServer, count: int) -> None:
    """One distinct article per mention, so no two jobs share a cache entry."""
    for i in range(count):
        body = (
            f"<html><body><article><h1>Load test {i}</h1>"
            + "".join(f"<p>Report {i}. {p}</p>" for p in SAMPLE.split("\n\n")[2:])
            + "</article></body></html>"
        )
        web.add(f"/load/{i}", body, content_type="text/html; charset=utf-8")


def _bot_env(
    args: argparse.Namespace, slack: FakeSlack, llm: FakeOpenAI, data: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "SLACK_"))}
    env |= {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "LLM_BASE_URL": llm.base_url,
        "LLM_API_KEY": "sk-load-test",
        "LLM_MAX_CONCURRENCY": str(args.concurrency),
        "LLM_TIMEOUT_SECONDS": str(max(30.0, args.latency * 10)),
        "DATA_DIR": str(data),
        "FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
        "LOG_LEVEL": "WARNING",
        "SLACK_USER_QUOTA_PER_HOUR": "0",  # a flood from one user is the point
    }
    if args.bot_src:
        env["PYTHONPATH"] = str(Path(args.bot_src).resolve())
    return env


def _mention_bodies(
    args: argparse.Namespace, slack: FakeSlack, web: ArticleServer
) -> list[tuple[str, bytes]]:
    """(message ts, event body) per mention; with --flood, the last one is another user's."""
    posts = []
    for i in range(args.mentions):
        user = f"U{i:05d}"
        if args.flood:
            user = "U0SINGLE" if i == args.flood else "U0FLOOD"
        message, event = slack.user_message(
            CHANNEL, f"<@{slack.bot_user_id}> <{web.url(f'/load/{i}')}>", user=user
        )
        posts.append((message.ts, json.dumps(slack.event_body(event)).encode()))
    return posts


@dataclass
class _Sent:
    """What the sender saw: when each mention was sent, ack latencies, and the bot's own."""

    at: dict[str, float] = field(default_factory=dict)
    acks: list[float] = field(default_factory=list)
    server_acks: list[float] = field(default_factory=list)


async def _send_all(
    args: argparse.Namespace, slack: FakeSlack, port: int, posts: list[tuple[str, bytes]]
) -> _Sent:
    sent = _Sent()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.mentions)) as http:

        async def mention(ts: str, body: bytes) -> None:
            headers = {"Content-Type": "application/json", **slack.sign(body, SECRET)}
            start = sent.at[ts] = time.monotonic()
            async with http.post(
                f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
            ) as response:
                await response.read()
                assert response.status == 200, response.status
                timing = response.headers.get("Server-Timing", "dur=nan")
            sent.acks.append((time.monotonic() - start) * 1000)
            sent.server_acks.append(float(timing.rsplit("dur=", 1)[1]))

        async def warm(_: int) -> None:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                await response.read()

        # Open the connections first, as Slack keeps them open between deliveries.
        await asyncio.gather(*(warm(i) for i in range(args.mentions)))
        if args.flood:  # the flood is in (acked), then the single mention
            await asyncio.gather(*(mention(ts, body) for ts, body in posts[:-1]))
            await mention(*posts[-1])
        else:
            await asyncio.gather(*(mention(ts, body) for ts, body in posts))
    return sent


async def _wait_for_summaries(
    slack: FakeSlack, posts: list[tuple[str, bytes]], deadline: float
) -> dict[str, float]:
    """When each mention's summary (its TL;DR) appeared in the thread."""
    done: dict[str, float] = {}
    while len(done) < len(posts) and time.monotonic() < deadline:
        for ts, _ in posts:
            if ts not in done:
                replies = slack.bot_replies(CHANNEL, ts)
                shown = json.dumps(replies[0].blocks or []) if replies else ""
                if "TL;DR" in shown and "Writing the summary" not in shown:
                    done[ts] = time.monotonic()
        await asyncio.sleep(0.05)
    return done


def _first_progress_ms(
    slack: FakeSlack, posts: list[tuple[str, bytes]], sent: _Sent
) -> list[float]:
    """Per mention, ms from sending it to the bot's first visible sign (reaction or post)."""
    progress = []
    for ts, _ in posts:
        signs = [
            c.at
            for c in slack.calls
            if c.method in ("reactions.add", "chat.postMessage")
            and (c.params.get("timestamp") == ts or c.params.get("thread_ts") == ts)
        ]
        if signs:
            progress.append((min(signs) - sent.at[ts]) * 1000)
    return progress


def _start_bot(
    args: argparse.Namespace,
    slack: FakeSlack,
    llm: FakeOpenAI,
    web: ArticleServer,
    stderr: int = subprocess.PIPE,
) -> tuple[subprocess.Popen[str], int]:
    """Serve one article per mention, script the LLM, start the bot; returns it and its port."""
    _serve_articles(web, args.mentions)
    replies = [Reply(delay=args.latency) for _ in range(args.mentions)]
    llm.script_for("summary", *replies)
    llm.script_for("actors", *replies)
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="articlebot-load-"))
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1", "--port",
         str(port)],
        env=_bot_env(args, slack, llm, data), cwd=data, stderr=stderr, text=True,
    )  # fmt: skip
    return bot, port


async def run(args: argparse.Namespace) -> None:
    if args.flood:
        args.mentions = args.flood + 1  # the flood, then one mention from someone else
    with FakeSlack() as slack, FakeOpenAI(keep_requests=False) as llm, ArticleServer() as web:
        bot, port = _start_bot(args, slack, llm, web)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 60)
            posts = _mention_bodies(args, slack, web)
            t0 = time.monotonic()
            sent = await _send_all(args, slack, port, posts)
            deadline = t0 + max(120.0, 4 * args.latency * args.mentions)
            done = await _wait_for_summaries(slack, posts, deadline)
            progress = _first_progress_ms(slack, posts, sent)
            slack_calls = list(slack.calls)
            rss = peak_rss_mb(bot.pid)
            worker_rss = [peak_rss_mb(child) for child in children(bot.pid)]
        finally:
            bot.terminate()
            bot.wait(timeout=30)
    if args.flood:
        print_fairness(args, posts, sent.at, done)
        print_timeline(slack_calls, posts[-1][0], sent.at[posts[-1][0]])
    ideal = math.ceil(2 * args.mentions / args.concurrency) * args.latency
    elapsed = max(done.values()) - t0 if done else float("nan")
    print(
        f"mentions: {args.mentions}, LLM latency {args.latency:.2f} s, "
        f"LLM_MAX_CONCURRENCY {args.concurrency}"
    )
    acks, server_acks = sent.acks, sent.server_acks
    print(
        f"ack latency:        p50 {statistics.median(acks):7.1f} ms   "
        f"p99 {pct(acks, 0.99):7.1f} ms   (target p99 < 100 ms; as the sender sees it)"
    )
    print(
        f"  inside the bot:   p50 {statistics.median(server_acks):7.1f} ms   "
        f"p99 {pct(server_acks, 0.99):7.1f} ms   (Server-Timing header)"
    )
    print(
        f"first progress:     p50 {statistics.median(progress):7.1f} ms   "
        f"p99 {pct(progress, 0.99):7.1f} ms   ({len(progress)}/{len(posts)} mentions)"
    )
    print(
        f"all summaries:      {elapsed:7.2f} s for {len(done)}/{len(posts)}; ideal "
        f"{ideal:.2f} s; ratio {elapsed / ideal:.2f}   (target <= 1.2)"
    )
    print(
        f"bot peak RSS:       {rss:7.1f} MB   (target < 300 MB); extraction worker(s): "
        + ", ".join(f"{w:.1f} MB" for w in worker_rss)
    )


async def _flood_round(args: argparse.Namespace, bot_src: str) -> tuple[float, float]:
    """One flood and the single mention, bot from `bot_src` ("" = this checkout); returns the
    single mention's seconds to the bot's first Slack call and to its summary."""
    one = argparse.Namespace(**{**vars(args), "bot_src": bot_src, "mentions": args.flood + 1})
    with FakeSlack() as slack, FakeOpenAI(keep_requests=False) as llm, ArticleServer() as web:
        bot, port = _start_bot(one, slack, llm, web, stderr=subprocess.DEVNULL)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 60)
            posts = _mention_bodies(one, slack, web)
            sent = await _send_all(one, slack, port, posts)
            deadline = time.monotonic() + max(120.0, 4 * args.latency * one.mentions)
            done = await _wait_for_summaries(slack, posts[-1:], deadline)
            [first] = _first_progress_ms(slack, posts[-1:], sent)
        finally:
            bot.terminate()
            bot.wait(timeout=30)
    single = posts[-1][0]
    return first / 1000, done.get(single, float("nan")) - sent.at[single]


async def compare_fairness(args: argparse.Namespace) -> None:
    """Before/after, alternating rounds (so both see the same machine load)."""
    sides = {"before": args.before, "after": ""}
    first: dict[str, list[float]] = {side: [] for side in sides}
    summary: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side, src in sides.items():
            to_first, to_summary = await _flood_round(args, src)
            first[side].append(to_first)
            summary[side].append(to_summary)
            print(f"  {side:6} round: first Slack call {to_first:6.2f} s, summary "
                  f"{to_summary:6.2f} s", flush=True)  # fmt: skip
    print(
        f"flood fairness: {args.flood} mentions from one user, then 1 from another; LLM "
        f"{args.latency:.2f} s/call, {args.concurrency} at a time; {args.rounds} rounds each; "
        f"before = {args.before}, after = this checkout"
    )
    print("the other user's wait      before: p50     p95      after: p50     p95")
    for name, values in (("to the first Slack call", first), ("to their summary", summary)):
        b, a = values["before"], values["after"]
        print(
            f"  {name:24}  {statistics.median(b):7.2f} s {pct(b, 0.95):7.2f} s"
            f"     {statistics.median(a):7.2f} s {pct(a, 0.95):7.2f} s"
        )


def print_fairness(
    args: argparse.Namespace,
    posts: list[tuple[str, bytes]],
    sent: dict[str, float],
    done: dict[str, float],
) -> None:
    single = posts[-1][0]
    flood = [done[ts] - sent[ts] for ts, _ in posts[:-1] if ts in done]
    wait = done[single] - sent[single] if single in done else float("nan")
    alone = 2 * args.latency  # one summary: two LLM calls, at best in parallel
    print(
        f"burst fairness ({args.flood} mentions from one user, then 1 from another; "
        f"LLM {args.latency:.2f} s/call, {args.concurrency} at a time; bot from "
        f"{args.bot_src or 'this checkout'}):"
    )
    print(
        f"  the other user's summary: {wait:7.2f} s after their mention "
        f"({wait / alone:.1f}x one summary's {alone:.1f} s of LLM time)"
    )
    if flood:
        print(
            f"  the flood's summaries:    p50 {statistics.median(flood):7.2f} s   "
            f"p95 {pct(flood, 0.95):7.2f} s   max {max(flood):7.2f} s   "
            f"({len(flood)}/{args.flood})"
        )


def print_timeline(calls: list[Any], ts: str, sent_at: float) -> None:
    """The single mention's Slack calls, seconds after it was sent: where its wait went."""
    placeholder = None
    steps = []
    for call in calls:
        params = call.params
        if params.get("timestamp") == ts or params.get("thread_ts") == ts:
            steps.append(f"{call.method} +{call.at - sent_at:.2f}")
            if call.method == "chat.postMessage" and (call.response or {}).get("ts"):
                placeholder = call.response["ts"]
        elif placeholder is not None and params.get("ts") == placeholder:
            steps.append(f"{call.method} +{call.at - sent_at:.2f}")
    print("  its Slack calls (s after the mention): " + ", ".join(steps))


def _shown_at(slack: FakeSlack, ts: str, words: str) -> float | None:
    """When the bot first showed `words` in the reply to `ts` (a post or an edit)."""
    for call in slack.calls:
        posted = call.method == "chat.postMessage" and call.params.get("thread_ts") == ts
        edited = call.method == "chat.update" and _edits_reply_to(slack, call, ts)
        shows = words in json.dumps(call.params.get("blocks") or [], ensure_ascii=False)
        if (posted or edited) and call.ok and shows:
            return call.at
    return None


def _edits_reply_to(slack: FakeSlack, call: Call, ts: str) -> bool:
    message = slack.message(str(call.params.get("channel")), str(call.params.get("ts")))
    return message is not None and message.thread_ts == ts


async def first_text(args: argparse.Namespace) -> None:
    """Time to the first visible summary text, one mention at a time (in-process bot, HTTP).

    The fake model answers after `--latency` s (its first-token time), then streams ~12
    characters every `--chunk-delay` s; the actors call (not streamed) takes as long as a
    reply of the same size. "Whole summary" is when the final message (with key actors)
    appeared: what users waited for before the summary streamed.
    """
    from tests.slack.harness import is_summary, running_bot

    first: list[float] = []
    whole: list[float] = []
    with tempfile.TemporaryDirectory(prefix="articlebot-first-text-") as tmp:
        async with running_bot(Path(tmp), "http") as h:
            for i in range(args.first_text):
                h.web.add(f"/ft/{i}", SAMPLE.replace("Port Ellery", f"Port Ellery {i}"),
                          content_type="text/markdown")  # fmt: skip
                writing = 70 * args.chunk_delay  # a ~850-character summary reply
                h.llm.script_for("summary", Reply(delay=args.latency, chunk_delay=args.chunk_delay))
                h.llm.script_for("actors", Reply(delay=args.latency + writing))
                sent = time.monotonic()
                message, _ = await h.mention(f"<{h.web.url(f'/ft/{i}')}>")
                await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)), timeout=60)
                await h.wait_idle(timeout=60)
                shown = _shown_at(h.slack, message.ts, "TL;DR")
                done = _shown_at(h.slack, message.ts, "Key actors")
                if shown is not None and done is not None:
                    first.append(shown - sent)
                    whole.append(done - sent)
    print(
        f"streamed summary: {len(first)}/{args.first_text} mentions, model first token "
        f"{args.latency:.2f} s, {args.chunk_delay * 1000:.0f} ms per ~12-character chunk"
    )
    print(
        f"first summary text: p50 {statistics.median(first):6.2f} s   max {max(first):6.2f} s"
        f"   (first token + {statistics.median(first) - args.latency:.2f} s; target < 1 s)"
    )
    print(
        f"whole summary:      p50 {statistics.median(whole):6.2f} s   max {max(whole):6.2f} s"
        f"   (before streaming, nothing was visible until then)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=100)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per LLM call")
    parser.add_argument("--concurrency", type=int, default=16, help="LLM_MAX_CONCURRENCY")
    parser.add_argument(
        "--flood", type=int, default=0, help="fairness: N mentions from one user, then 1 more"
    )
    parser.add_argument("--bot-src", default="", help="run the bot from this source directory")
    parser.add_argument(
        "--first-text", type=int, default=0, metavar="N",
        help="instead: time to the first visible summary text over N mentions",
    )  # fmt: skip
    parser.add_argument("--chunk-delay", type=float, default=0.05, help="with --first-text")
    parser.add_argument(
        "--before", default="", help="with --flood: compare against the bot from this source"
    )
    parser.add_argument("--rounds", type=int, default=5, help="with --before: rounds per side")
    args = parser.parse_args()
    if args.first_text:
        asyncio.run(first_text(args))
    elif args.flood and args.before:
        asyncio.run(compare_fairness(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
