"""The HTTP edge and what operators scrape: honest status codes, Prometheus /metrics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.slack.app import MAX_EVENT_BODY_BYTES
from tests.fakes.openai_server import Reply
from tests.fakes.slack import events
from tests.slack.harness import CHANNEL, SIGNING_SECRET, BotHarness, is_summary, running_bot

JSON = {"Content-Type": "application/json"}


def _event_body(h: BotHarness, text: str = "hello") -> bytes:
    _, event = h.slack.user_message(CHANNEL, f"<@{h.slack.bot_user_id}> {text}")
    return json.dumps(h.slack.event_body(event)).encode()


async def test_non_numeric_timestamp_is_refused_with_401_and_recorded_nowhere(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, "http") as h:
        for stamp in ("soon", "1e9", "", "12.5"):
            body = _event_body(h)
            # Signed over the bad stamp itself: only the timestamp is wrong.
            headers = events.sign(body, SIGNING_SECRET) | {"X-Slack-Request-Timestamp": stamp}
            headers["X-Slack-Signature"] = events.sign(body, SIGNING_SECRET, 0)["X-Slack-Signature"]
            assert await h.post_raw(body, JSON | headers) == 401, stamp
        assert await h.bot.ctx.store.queue_stats() == (0, None)
        assert await h.deliver(json.loads(_event_body(h))["event"]) == 200  # still serving


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_body_over_the_limit_is_refused_with_413(tmp_path: Path, framing: str) -> None:
    async with running_bot(tmp_path, "http") as h:
        padding = "x" * (MAX_EVENT_BODY_BYTES + 1)
        body = _event_body(h, padding)
        headers = JSON | events.sign(body, SIGNING_SECRET)  # a valid signature: size is all
        assert h.bot is not None and h.bot.port is not None
        url = f"http://127.0.0.1:{h.bot.port}/slack/events"
        data = body if framing == "content-length" else _chunks(body)
        async with aiohttp.ClientSession() as http, http.post(url, data=data, headers=headers) as r:
            assert r.status == 413
            assert str(MAX_EVENT_BODY_BYTES) in (await r.json())["error"]
        assert await h.bot.ctx.store.queue_stats() == (0, None)
        assert await h.deliver(json.loads(_event_body(h))["event"]) == 200


async def _scrape(port: int) -> dict[str, float]:
    """Every sample on /metrics, by name and labels."""
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    for name in ("articlebot_lease_takeovers", "articlebot_requests", "articlebot_queue_depth"):
        assert name in text  # documented even before the first count
    return samples


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_metrics_count_requests_and_show_the_queue(tmp_path: Path, mode: str) -> None:
    async with running_bot(tmp_path, mode, metrics_port=0) as h:
        assert h.bot is not None and h.bot.metrics_port is not None
        port = h.bot.metrics_port if mode == "socket" else h.bot.port
        assert port is not None
        done = "articlebot_requests_total{kind=summary,outcome=done}"
        before = (await _scrape(port)).get(done, 0.0)
        h.llm.script_for("summary", Reply(delay=1.5))
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.slack.wait_for_async(lambda: len(h.llm.chat_requests) >= 1, timeout=20)
        busy = await _scrape(port)
        assert busy["articlebot_queue_depth{}"] == 1
        assert busy["articlebot_oldest_job_age_seconds{}"] > 0
        await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        await h.wait_idle()
        idle = await _scrape(port)
        assert idle[done] == before + 1
        assert idle["articlebot_queue_depth{}"] == 0
        assert idle["articlebot_oldest_job_age_seconds{}"] == 0


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_events_after_start_are_authorized_without_asking_slack_again(
    tmp_path: Path, mode: str
) -> None:
    """The token was checked at start-up: a burst of mentions makes no auth.test calls, and an
    auth.test outage at that moment loses none of them (bolt would answer each with an error
    page that Slack takes as delivered)."""
    async with running_bot(tmp_path, mode) as h:  # type: ignore[arg-type]
        checked_at_start = len(h.slack.calls_to("auth.test"))
        assert checked_at_start == 1
        h.slack.inject_fault("auth.test", "http_500", times=1000)
        link = f"<{h.web.url('/tidal')}>"
        mentions = await asyncio.gather(*(h.mention(f"{link} #{n}") for n in range(5)))
        for message, _ in mentions:
            await h.wait_replies(message.ts, lambda found: any(map(is_summary, found)))
        assert len(h.slack.calls_to("auth.test")) == checked_at_start
