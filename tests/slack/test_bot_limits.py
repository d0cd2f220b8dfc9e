"""Limits and access: refusals, oversize replies, Slack's own rate limits, request checks."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.openai_server import Reply
from tests.fakes.slack import events
from tests.slack.harness import CHANNEL, SIGNING_SECRET, is_summary, running_bot, shown

LONG_ANSWER = " ".join(
    f"Point {i}: the council weighed jobs, fishing grounds and porpoises in its decision."
    for i in range(700)
)  # about 58,000 characters: more than one Slack message can hold


BOTH_MODES = pytest.mark.parametrize("mode", ["socket", "http"])


@BOTH_MODES
async def test_channel_not_allowed_is_refused_in_the_thread(tmp_path: Path, mode: str) -> None:
    async with running_bot(tmp_path, mode, slack_allowed_channels=["C0OTHER"]) as h:
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        [reply] = await h.wait_replies(message.ts, lambda rs: bool(rs))
        assert "not enabled in this channel" in shown(reply)
        assert h.llm.chat_requests == [] and h.web.requests == []


@BOTH_MODES
async def test_quota_exceeded_is_refused_in_the_thread(tmp_path: Path, mode: str) -> None:
    async with running_bot(tmp_path, mode, slack_user_quota_per_hour=2) as h:
        for _ in range(2):
            message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
            await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        message, _ = await h.mention(f"<{h.web.url('/article')}>")
        [reply] = await h.wait_replies(message.ts, lambda rs: bool(rs))
        assert "limit of 2 requests per hour" in shown(reply)
        # Another user is not affected.
        other, event = h.slack.user_message(
            CHANNEL, f"<@{h.slack.bot_user_id}> <{h.web.url('/article')}>", user="U0OTHER"
        )
        await h.deliver(event)
        await h.wait_replies(other.ts, lambda rs: any(map(is_summary, rs)))


@BOTH_MODES
@pytest.mark.parametrize("stream_mode", ["stream", "update"])
async def test_oversize_answer_is_split_within_slack_limits(
    tmp_path: Path, stream_mode: str, mode: str
) -> None:
    async with running_bot(tmp_path, mode, slack_stream_mode=stream_mode) as h:
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        quote = "We were consulted the way a fish is consulted by a net"
        h.llm.script_for(
            "answer",
            Reply(
                content={
                    "quotes": [{"text": quote, "paragraph": 6}],
                    "answerable": True,
                    "answer": LONG_ANSWER,
                }
            ),
        )
        await h.say("Explain everything in detail.", thread_ts=message.ts)
        await h.wait_idle(timeout=60)
        replies = h.replies(message.ts)[1:]
        rejected = [c for c in h.slack.calls if c.method.startswith("chat.") and not c.ok]
        assert rejected == [], [c.response for c in rejected]
        combined = " ".join(shown(r) for r in replies)
        assert "Point 0:" in combined and "Point 699:" in combined and quote in combined
        if stream_mode == "update":
            assert len(replies) >= 2, "one Slack message cannot hold it: split into several"
        else:
            appends = h.slack.calls_to("chat.appendStream")
            assert len(appends) > 1


async def test_update_mode_edits_at_most_once_a_second(tmp_path: Path) -> None:
    async with running_bot(tmp_path, slack_stream_mode="update") as h:
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        await h.wait_idle()
        before = len(h.slack.calls_to("chat.update"))
        answer = "The mayor expects 40 permanent jobs and a community fund every year. " * 12
        h.llm.script_for(
            "answer",
            Reply(
                content={"quotes": [], "answerable": False, "answer": answer},
                chunk_delay=0.03,  # about 3 seconds of streaming
            ),
        )
        await h.say("What does the mayor expect?", thread_ts=message.ts)
        await h.wait_idle(timeout=30)
        edits = h.slack.calls_to("chat.update")[before:]
        progress, final = edits[:-1], edits[-1]
        assert len(progress) >= 2, "the answer was shown while it was being written"
        assert all(b.at - a.at >= 0.95 for a, b in itertools.pairwise(progress))
        assert "community fund" in json.dumps(final.params.get("blocks"))
        assert h.slack.calls_to("chat.startStream") == []


async def test_slack_rate_limit_is_waited_out(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        h.slack.rate_limit("chat.postMessage", times=1, retry_after=1)
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        posts = h.slack.calls_to("chat.postMessage")
        assert posts[0].status == 429 and posts[1].ok
        assert posts[1].at - posts[0].at >= 0.9
        assert len(h.replies(message.ts)) == 1


async def test_bad_signature_is_refused_with_401(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "http") as h:
        _, event = h.slack.user_message(CHANNEL, f"<@{h.slack.bot_user_id}> hello")
        body = json.dumps(h.slack.event_body(event)).encode()
        forged = h.slack.sign(body, "not-the-secret")
        assert await h.post_raw(body, {"Content-Type": "application/json", **forged}) == 401
        assert await h.post_raw(body, {"Content-Type": "application/json"}) == 401
        good = h.slack.sign(body, SIGNING_SECRET)
        assert await h.post_raw(body, {"Content-Type": "application/json", **good}) == 200


async def test_malformed_events_are_acknowledged_and_ignored(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        for event in [
            {"type": "app_mention", "text": "no channel, no user, no ts"},
            {"type": "message", "channel": CHANNEL, "user": events.USER_ID},
            {"type": "app_mention", "channel": CHANNEL, "user": 42, "ts": ["x"], "text": None},
        ]:
            assert await h.deliver(event) == 200
        await h.wait_idle()
        assert not [c for c in h.slack.calls if c.method.startswith("chat.")]
        # The bot is still fine afterwards.
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))


async def test_health_check_and_usage_per_team_channel_user(tmp_path: Path) -> None:
    async with running_bot(tmp_path, "http") as h:
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        await h.wait_idle()
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{h.bot.port}/healthz"
            async with http.get(url) as response:
                assert response.status == 200 and (await response.json())["ok"] is True
        store = h.bot.ctx.store
        by_user = await store.usage_totals("user")
        by_channel = await store.usage_totals("channel")
        by_team = await store.usage_totals("team")
        assert by_user[events.USER_ID].calls == 2 and by_user[events.USER_ID].prompt_tokens > 0
        assert by_channel[CHANNEL].calls == 2 and by_team[h.slack.team_id].calls == 2
