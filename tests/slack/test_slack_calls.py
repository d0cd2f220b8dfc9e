"""Slack Web API faults through the real client, over the wire: retried or classified."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from bot.config import load_settings
from bot.slack.web_api import TRANSIENT, classify, web_client
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.faults import AUTH_CODES, NO_ACCESS_CODES
from tests.fakes.slack.faults import TRANSIENT as TRANSIENT_FAULTS

RETRIES = 2


@pytest.fixture(scope="module")
def fake() -> Any:
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


def post_calls(fake: FakeSlack, channel: str) -> list[Any]:
    return [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def retries_counted() -> float:
    total = 0.0
    for metric in REGISTRY.collect():
        if metric.name == "articlebot_slack_retries":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return total


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
async def test_transient_faults_are_retried_until_the_call_succeeds(
    fake: FakeSlack, client: Any, fault: str
) -> None:
    channel = f"C{fault.upper().replace('_', '')}"[:20]
    before = retries_counted()
    fake.inject_fault("chat.postMessage", fault, times=RETRIES, retry_after=0)
    response = await client.chat_postMessage(channel=channel, text="hello")
    assert response["ok"]
    calls = post_calls(fake, channel)
    assert len(calls) == RETRIES + 1 and calls[-1].ok and not any(c.ok for c in calls[:-1])
    assert retries_counted() - before == RETRIES
    assert len(fake.store.thread(channel, response["ts"])) == 1


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
async def test_transient_faults_that_outlast_the_retries_are_classified_transient(
    fake: FakeSlack, client: Any, fault: str
) -> None:
    channel = f"CX{fault.upper().replace('_', '')}"[:20]
    fake.inject_fault("chat.postMessage", fault, times=RETRIES + 1, retry_after=0)
    with pytest.raises(Exception) as raised:
        await client.chat_postMessage(channel=channel, text="hello")
    found = classify(raised.value)
    assert found is not None and found.fault in TRANSIENT and found.transient
    assert len(post_calls(fake, channel)) == RETRIES + 1


@pytest.mark.parametrize("code", NO_ACCESS_CODES + AUTH_CODES + ("msg_too_long",))
async def test_permanent_faults_are_not_retried(fake: FakeSlack, client: Any, code: str) -> None:
    channel = f"CP{code.upper().replace('_', '')}"[:20]
    fake.inject_fault("chat.postMessage", code, times=5)
    with pytest.raises(Exception) as raised:
        await client.chat_postMessage(channel=channel, text="hello")
    found = classify(raised.value)
    assert found is not None and not found.transient and found.error == code
    expected = {"msg_too_long": "msg_too_long"}.get(
        code, "auth" if code in AUTH_CODES else "no_access"
    )
    assert found.fault == expected
    assert len(post_calls(fake, channel)) == 1, "a permanent fault is never retried"
    fake.web_api._injected.clear()


async def test_retry_after_is_honoured(fake: FakeSlack, client: Any) -> None:
    fake.inject_fault("chat.postMessage", "http_429", times=1, retry_after=1)
    await client.chat_postMessage(channel="CWAIT", text="hello")
    first, second = post_calls(fake, "CWAIT")
    assert first.status == 429 and second.ok
    assert second.at - first.at >= 1.0
