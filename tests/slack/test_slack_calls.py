"""Slack Web API faults through the real client, over the wire: retried or classified."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from bot.config import load_settings
from bot.slack.web_api import TRANSIENT, classify, web_client
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.faults import AUTH_CODES, NO_ACCESS_CODES
from tests.fakes.slack.faults import TRANSIENT as TRANSIENT_FAULTS

RETRIES = 2
CHANNEL = "C0CALLS"
# Faults after which Slack may have done the work: a post is not blindly repeated.
AMBIGUOUS = ("http_500", "connection_reset", "lost_response", "internal_error", "fatal_error")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def client(fake: FakeSlack) -> AsyncIterator[Any]:
    settings = load_settings(
        _env_file=None,
        slack_bot_token=fake.bot_token,
        slack_api_url=fake.api_url,
        slack_max_retries=RETRIES,
        slack_retry_base_seconds=0.01,
    )
    yield web_client(settings)
    with fake.web_api._lock:
        fake.web_api._injected.clear()  # a failed test leaves nothing for the next one


def calls_for(fake: FakeSlack, method: str, ts: str) -> list[Any]:
    return [c for c in fake.calls_to(method) if c.params.get("ts") == ts]


def retries_counted() -> float:
    total = 0.0
    for metric in REGISTRY.collect():
        if metric.name == "articlebot_slack_retries":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return total


async def own_message(client: Any) -> str:
    return str((await client.chat_postMessage(channel=CHANNEL, text="draft"))["ts"])


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
async def test_transient_faults_are_retried_until_the_call_succeeds(
    fake: FakeSlack, client: Any, fault: str
) -> None:
    ts = await own_message(client)
    before = retries_counted()
    fake.inject_fault("chat.update", fault, times=RETRIES, retry_after=0)
    response = await client.chat_update(channel=CHANNEL, ts=ts, text="final")
    assert response["ok"]
    calls = calls_for(fake, "chat.update", ts)
    assert len(calls) == RETRIES + 1 and calls[-1].status == 200 and calls[-1].ok
    assert all(c.status != 200 or not c.ok for c in calls[:-1])
    assert retries_counted() - before == RETRIES
    message = fake.message(CHANNEL, ts)
    assert message is not None and message.text == "final"


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
async def test_transient_faults_that_outlast_the_retries_are_classified_transient(
    fake: FakeSlack, client: Any, fault: str
) -> None:
    ts = await own_message(client)
    fake.inject_fault("chat.update", fault, times=RETRIES + 1, retry_after=0)
    with pytest.raises(Exception) as raised:
        await client.chat_update(channel=CHANNEL, ts=ts, text="final")
    found = classify(raised.value)
    assert found is not None and found.fault in TRANSIENT and found.transient
    assert found.ambiguous == (fault in AMBIGUOUS)
    assert len(calls_for(fake, "chat.update", ts)) == RETRIES + 1


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
async def test_a_post_is_repeated_only_when_slack_cannot_have_made_it(
    fake: FakeSlack, client: Any, fault: str
) -> None:
    channel = f"CP{fault.upper().replace('_', '')}"[:20]
    fake.inject_fault("chat.postMessage", fault, times=1, retry_after=0)
    try:
        await client.chat_postMessage(channel=channel, text="hello")
    except Exception as exc:
        found = classify(exc)
        assert found is not None and found.ambiguous, "only an ambiguous fault gets through"
    posts = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == channel]
    assert len(posts) == (1 if fault in AMBIGUOUS else 2)


@pytest.mark.parametrize("code", NO_ACCESS_CODES + AUTH_CODES + ("msg_too_long",))
async def test_permanent_faults_are_not_retried(fake: FakeSlack, client: Any, code: str) -> None:
    ts = await own_message(client)
    fake.inject_fault("chat.update", code, times=5)
    with pytest.raises(Exception) as raised:
        await client.chat_update(channel=CHANNEL, ts=ts, text="final")
    found = classify(raised.value)
    assert found is not None and not found.transient and found.error == code
    kinds = {"msg_too_long": "msg_too_long"}
    expected = kinds.get(code, "auth" if code in AUTH_CODES else "no_access")
    assert found.fault == expected
    assert len(calls_for(fake, "chat.update", ts)) == 1, "a permanent fault is never retried"


async def test_retry_after_is_honoured(fake: FakeSlack, client: Any) -> None:
    ts = await own_message(client)
    fake.inject_fault("chat.update", "http_429", times=1, retry_after=1)
    await client.chat_update(channel=CHANNEL, ts=ts, text="final")
    first, second = calls_for(fake, "chat.update", ts)
    assert first.status == 429 and second.ok
    assert second.at - first.at >= 1.0
