"""A Slack fault that outlasts a call's retries sends the job back to the queue, with backoff,
until it would be too old; then the user gets one apology."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from bot.slack import messages
from bot.store import Store
from tests.slack.harness import CHANNEL, running_bot, shown


class Clock:
    """Store time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(tmp_path: Path, clock: Clock) -> AsyncIterator[Store]:
    opened = await Store.open(f"sqlite:///{tmp_path / 'jobs.db'}", clock=clock)
    yield opened
    await opened.close()


def requeues_counted(fault: str) -> float:
    return REGISTRY.get_sample_value("articlebot_job_requeues_total", {"fault": fault}) or 0.0


async def test_a_requeued_job_waits_out_its_backoff(store: Store, clock: Clock) -> None:
    job = await store.record_request(
        event_id="EvRQ1", channel=CHANNEL, ts="1.000100", kind="summary", payload={},
        team="T1", user="U1", thread_ts="1.000100",
    )  # fmt: skip
    assert job is not None
    assert await store.claim_job(job.id, worker="w1", lease_s=30) is not None
    await store.requeue_job(job.id, worker="w1", delay_s=10, note="slack server_error: http_500")
    assert await store.claim_job(job.id, worker="w2", lease_s=30) is None, "not before 10 s"
    assert await store.unfinished_jobs() == []
    clock.now += timedelta(seconds=10.5)
    [waiting] = await store.unfinished_jobs()
    assert waiting.status == "pending" and waiting.note == "slack server_error: http_500"
    again = await store.claim_job(job.id, worker="w2", lease_s=30)
    assert again is not None and again.attempts == 2 and again.worker == "w2"
    # A worker that no longer owns the job cannot send it back.
    await store.requeue_job(job.id, worker="w1", delay_s=100, note="stale")
    current = await store.get_job(job.id)
    assert current is not None and current.status == "running" and current.worker == "w2"


async def test_slack_failing_past_the_max_age_ends_in_one_apology(tmp_path: Path) -> None:
    settings: dict[str, Any] = {
        "slack_max_retries": 1,
        "slack_retry_base_seconds": 0.01,
        "slack_requeue_base_seconds": 4.0,  # 1st requeue: 4 s; the 2nd would be 8 s, past 10 s
        "slack_job_max_age_seconds": 10,
    }
    before = requeues_counted("server_error")
    async with running_bot(tmp_path, **settings) as h:
        # Every chat.postMessage of two runs fails for good (three progress posts and the
        # result, each tried twice); the third post, the apology, gets through.
        failing = 2 * 4 * 2
        h.slack.inject_fault("chat.postMessage", "internal_error", times=failing)
        message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
        await h.wait_idle(timeout=30)
        posts = h.slack.calls_to("chat.postMessage")
        assert [p.ok for p in posts] == [False] * failing + [True], "retried, then one apology"
        runs = posts[7].at, posts[8].at
        assert runs[1] - runs[0] >= 4.0, "the job waited out its backoff before running again"
        [reply] = h.replies(message.ts)
        assert "Slack kept failing" in shown(reply) and "ask again" in shown(reply)
        assert messages.INTERNAL_ERROR not in shown(reply)
        assert h.bot is not None and await h.bot.ctx.store.unfinished_jobs() == []
    assert requeues_counted("server_error") - before == 1, "requeued once, then given up"


async def test_a_failure_message_slack_refused_is_delivered_later(tmp_path: Path) -> None:
    """A bad link while Slack fails: the explanation is retried with the job, never lost."""
    settings: dict[str, Any] = {
        "slack_max_retries": 1,
        "slack_retry_base_seconds": 0.01,
        "slack_requeue_base_seconds": 0.2,
    }
    async with running_bot(tmp_path, **settings) as h:
        # Both progress posts and the explanation fail for good (each tried twice).
        h.slack.inject_fault("chat.postMessage", "http_503", times=3 * 2)
        message, _ = await h.mention(f"<{h.web.url('/status/404')}>")
        await h.wait_idle(timeout=30)
        [reply] = h.replies(message.ts)
        assert "404" in shown(reply) and "Something went wrong" not in shown(reply)
        posts = h.slack.calls_to("chat.postMessage")
        assert [p.status for p in posts[:6]] == [503] * 6 and posts[-1].ok
