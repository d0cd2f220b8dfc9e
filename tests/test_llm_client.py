"""LLMClient against the fake OpenAI-compatible server over 127.0.0.1 (the real openai package).

Covers structured output and the json_object fallback, repair, truncation, retries with
Retry-After, timeouts, the concurrency bound, usage accounting, streaming, the token budget and
keeping the API key out of errors and logs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from bot.domain.usage import CallRecord
from bot.errors import (
    BudgetExceeded,
    LLMInvalidOutput,
    LLMRateLimited,
    LLMTimeout,
    LLMTruncated,
    LLMUnavailable,
)
from bot.llm.client import PLACEHOLDER_API_KEY, LLMClient, uses_max_completion_tokens
from bot.llm.retry import RetryPolicy, parse_retry_after
from bot.llm.structured import strict_schema
from tests.fakes.openai_server import FakeOpenAI, Reply

API_KEY = "sk-test-0123456789abcdefSECRET"

ARTICLE = (
    "<article>\n"
    "[1] The Port Ellery town council voted 7 to 2 on Tuesday to approve a tidal energy pilot. "
    "Six turbines will sit on the seabed off Gannet Point.\n"
    "[2] Moira Keane said the turbines would close crab grounds for two seasons. "
    "The fishermen's association will ask for a licence review.\n"
    "[3] Construction is scheduled to begin in September once the licence review is complete.\n"
    "</article>"
)


class Quote(BaseModel):
    text: str
    paragraph: int


class AnswerOut(BaseModel):
    quotes: list[Quote]
    answerable: bool
    answer: str


class Bullet(BaseModel):
    text: str
    paragraphs: list[int]


class SummaryOut(BaseModel):
    tldr: str
    bullets: list[Bullet] = Field(min_length=1)


VALID_SUMMARY = {"tldr": "A pilot was approved.", "bullets": [{"text": "Vote", "paragraphs": [1]}]}


def question(text: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You answer questions about one article."},
        {"role": "user", "content": f"{ARTICLE}\n\nQuestion: {text}"},
    ]


SUMMARY_MESSAGES = [
    {"role": "system", "content": "You summarise articles."},
    {"role": "user", "content": f"{ARTICLE}\n\nSummarise the article above."},
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
async def make_client(
    make_settings: Callable[..., Any], records: list[CallRecord]
) -> AsyncIterator[Callable[..., LLMClient]]:
    clients: list[LLMClient] = []

    def factory(server: FakeOpenAI | None = None, **overrides: Any) -> LLMClient:
        values: dict[str, Any] = {"llm_api_key": API_KEY, "llm_max_retries": 2}
        if server is not None:
            values["llm_base_url"] = server.base_url
        values.update(overrides)
        client = LLMClient(make_settings(**values).llm, usage_sink=records.append)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


def response_type(body: dict[str, Any]) -> str:
    return body["response_format"]["type"]


# --- structured output ---------------------------------------------------------------------


async def test_json_schema_happy_path(fake, make_client, records) -> None:
    client = make_client(fake)
    done = await client.complete(
        AnswerOut, question("When does construction begin?"), task="answer"
    )

    assert done.mode == "json_schema"
    assert done.value.answerable is True
    assert done.value.quotes[0].paragraph == 3
    assert "September" in done.value.answer
    assert done.usage.calls == 1 and done.usage.prompt_tokens > 0

    [request] = fake.chat_requests
    body = request.json
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"]["type"] == "json_schema"
    spec = body["response_format"]["json_schema"]
    assert spec["name"] == "answer" and spec["strict"] is True
    assert spec["schema"]["additionalProperties"] is False
    assert set(spec["schema"]["required"]) == {"quotes", "answerable", "answer"}
    # Not OpenAI: the output limit goes in `max_tokens`, defaulting to the reserve.
    assert body["max_tokens"] == 4_000 and "max_completion_tokens" not in body
    assert "temperature" not in body and "stream" not in body
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert [r.task for r in records] == ["answer"]


async def test_placeholder_key_temperature_and_output_limit(fake, make_client) -> None:
    client = make_client(fake, llm_api_key=None, llm_temperature=0.2)
    await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary", max_output_tokens=700)
    [request] = fake.chat_requests
    assert request.headers["Authorization"] == f"Bearer {PLACEHOLDER_API_KEY}"
    assert request.json["temperature"] == 0.2
    assert request.json["max_tokens"] == 700


def test_output_limit_parameter_name_by_host() -> None:
    assert uses_max_completion_tokens(None)
    assert uses_max_completion_tokens("https://api.openai.com/v1")
    assert uses_max_completion_tokens("https://myres.openai.azure.com/openai/v1")
    assert not uses_max_completion_tokens("http://127.0.0.1:11434/v1")
    assert not uses_max_completion_tokens("https://notopenai.com/v1")


def test_not_configured_is_refused(make_settings) -> None:
    with pytest.raises(LLMUnavailable):
        LLMClient(make_settings().llm)


def test_strict_schema_from_nested_models() -> None:
    class Inner(BaseModel):
        default: str = "x"  # a property that happens to be called "default"
        kind: Literal["a", "b"] = "a"

    class Outer(BaseModel):
        items: list[Inner]
        note: str | None = None
        inner: Inner = Field(default_factory=Inner, description="has a $ref sibling")

    schema = strict_schema(Outer)
    text = json.dumps(schema)

    def objects(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for value in node.values():
                yield from objects(value)
        elif isinstance(node, list):
            for value in node:
                yield from objects(value)

    found = list(objects(schema))
    assert len(found) >= 3
    for node in found:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    assert '"default": {' in text  # the property survives...
    assert '"default": "' not in text and '"default": null' not in text  # ...default values don't
    assert strict_schema(Outer) is not strict_schema(Outer)  # callers get their own copy


# --- json_object fallback ------------------------------------------------------------------


async def test_json_object_fallback_is_remembered(make_client) -> None:
    with FakeOpenAI(mode="json_object_only") as server:
        client = make_client(server, llm_max_retries=3)
        first = await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
        second = await client.complete(AnswerOut, question("Who is Moira Keane?"), task="answer")

    assert first.mode == second.mode == "json_object" == client.mode
    # One rejected json_schema request (no retries burnt on it), then json_object only.
    assert [response_type(r.json) for r in server.chat_requests] == [
        "json_schema",
        "json_object",
        "json_object",
    ]
    messages = server.chat_requests[1].json["messages"]
    assert [m["role"] for m in messages] == ["system", "system", "user"]
    instruction = messages[1]["content"]
    assert "\nSchema name: summary\n" in instruction
    schema = json.loads(instruction.split("Schema name: summary\n", 1)[1])
    assert set(schema["properties"]) == {"tldr", "bullets"}
    assert second.value.answerable is True and second.value.quotes[0].paragraph == 2


async def test_forced_json_schema_on_a_json_object_server(make_client) -> None:
    with FakeOpenAI(mode="json_object_only") as server:
        client = make_client(server, llm_structured_mode="json_schema")
        with pytest.raises(LLMUnavailable, match="LLM_STRUCTURED_MODE"):
            await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert len(server.chat_requests) == 1


async def test_forced_json_object(fake, make_client) -> None:
    client = make_client(fake, llm_structured_mode="json_object")
    done = await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert done.mode == "json_object"
    assert [response_type(r.json) for r in fake.chat_requests] == ["json_object"]


async def test_streaming_falls_back_too(make_client) -> None:
    with FakeOpenAI(mode="json_object_only") as server:
        client = make_client(server)
        updates = [u async for u in client.stream(SummaryOut, SUMMARY_MESSAGES, task="summary")]
    assert updates[-1].completion is not None
    assert updates[-1].completion.mode == "json_object"
    assert [(response_type(r.json), r.json["stream"]) for r in server.chat_requests] == [
        ("json_schema", True),
        ("json_object", True),
    ]


# --- repair and unusable output --------------------------------------------------------------


async def test_invalid_json_is_repaired_once(fake, make_client, records) -> None:
    fake.script(
        Reply(content="Sure! Here is the summary you asked for.", usage=(100, 10, 0)),
        Reply(content=VALID_SUMMARY, usage=(130, 20, 64)),
    )
    client = make_client(fake)
    done = await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")

    assert done.value.tldr == "A pilot was approved."
    assert (done.usage.calls, done.usage.prompt_tokens, done.usage.completion_tokens) == (
        2,
        230,
        30,
    )
    assert done.usage.cached_tokens == 64
    assert len(records) == 2
    repair = fake.chat_requests[1].json["messages"]
    assert repair[:-2] == SUMMARY_MESSAGES
    assert repair[-2] == {
        "role": "assistant",
        "content": "Sure! Here is the summary you asked for.",
    }
    assert repair[-1]["role"] == "user" and '"summary"' in repair[-1]["content"]


async def test_schema_violation_is_explained_in_the_repair(fake, make_client) -> None:
    fake.script(Reply(content={"tldr": "No bullets here"}), Reply(content=VALID_SUMMARY))
    client = make_client(fake)
    done = await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert done.value.bullets[0].paragraphs == [1]
    assert "bullets" in fake.chat_requests[1].json["messages"][-1]["content"]


async def test_invalid_twice_gives_up(fake, make_client) -> None:
    fake.script(Reply(content="{not json"), Reply(content='{"tldr": 3}'), Reply())
    client = make_client(fake)
    with pytest.raises(LLMInvalidOutput):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert len(fake.chat_requests) == 2


async def test_code_fences_are_stripped(fake, make_client) -> None:
    fake.script(Reply(content=f"```json\n{json.dumps(VALID_SUMMARY)}\n```"))
    client = make_client(fake)
    done = await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert done.value.tldr == "A pilot was approved."
    assert len(fake.chat_requests) == 1


async def test_truncated_reply_is_never_parsed(fake, make_client, records) -> None:
    fake.script(Reply(content=VALID_SUMMARY, finish_reason="length"))
    client = make_client(fake)
    with pytest.raises(LLMTruncated):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert len(fake.chat_requests) == 1  # no repair either
    assert len(records) == 1  # the tokens were still spent


async def test_truncated_stream(fake, make_client) -> None:
    fake.script(Reply(content=VALID_SUMMARY, finish_reason="length"))
    client = make_client(fake)
    partials = []
    with pytest.raises(LLMTruncated):
        async for update in client.stream(SummaryOut, SUMMARY_MESSAGES, task="summary"):
            assert update.completion is None
            partials.append(update.partial)
    assert partials  # content arrived before the verdict
    assert len(fake.chat_requests) == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(refusal="I can't help with that."), "declined"),
        (Reply(content=VALID_SUMMARY, finish_reason="content_filter"), "content filter"),
    ],
)
async def test_refusal_and_content_filter(fake, make_client, reply, expected) -> None:
    fake.script(reply)
    client = make_client(fake)
    with pytest.raises(LLMInvalidOutput, match=expected):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")


# --- retries and failures ---------------------------------------------------------------------


async def test_429_honours_retry_after(fake, make_client, records) -> None:
    fake.script(Reply(status=429, headers={"Retry-After": "1"}), Reply(content=VALID_SUMMARY))
    client = make_client(fake)
    start = time.monotonic()
    done = await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert time.monotonic() - start >= 0.95
    assert done.value.tldr == "A pilot was approved."
    assert len(fake.chat_requests) == 2
    assert len(records) == 1 and done.usage.calls == 1  # the 429 carried no usage


async def test_retry_after_ms(fake, make_client) -> None:
    fake.script(
        Reply(status=503, headers={"retry-after-ms": "300"}),
        Reply(status=502, headers={"retry-after-ms": "300"}),
        Reply(content=VALID_SUMMARY),
    )
    client = make_client(fake)
    start = time.monotonic()
    await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert time.monotonic() - start >= 0.55
    assert len(fake.chat_requests) == 3


async def test_5xx_until_retries_run_out(fake, make_client) -> None:
    fake.script(*[Reply(status=500, headers={"retry-after-ms": "10"})] * 4)
    client = make_client(fake, llm_max_retries=2)
    with pytest.raises(LLMUnavailable, match=r"HTTP 500\) after 3 attempts"):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert len(fake.chat_requests) == 3


async def test_backoff_without_retry_after(fake, make_client) -> None:
    fake.script(Reply(status=503), Reply(content=VALID_SUMMARY))
    client = make_client(fake, llm_max_retries=1)
    start = time.monotonic()
    await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert time.monotonic() - start >= RetryPolicy().base_delay / 2
    assert len(fake.chat_requests) == 2


async def test_rate_limit_until_retries_run_out(fake, make_client) -> None:
    fake.script(*[Reply(status=429, headers={"retry-after-ms": "10"})] * 2)
    client = make_client(fake, llm_max_retries=1)
    with pytest.raises(LLMRateLimited):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert len(fake.chat_requests) == 2


async def test_retry_after_beyond_the_cap_is_not_waited_for(fake, make_client) -> None:
    fake.script(Reply(status=429, headers={"Retry-After": "3600"}))
    client = make_client(fake, llm_max_retries=3)
    with pytest.raises(LLMRateLimited, match="60 minute"):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert len(fake.chat_requests) == 1


async def test_no_quota_is_not_retried(fake, make_client) -> None:
    fake.script(Reply(status=429, error_code="insufficient_quota"), Reply(content=VALID_SUMMARY))
    client = make_client(fake, llm_max_retries=3)
    with pytest.raises(LLMRateLimited, match="quota"):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert len(fake.chat_requests) == 1


async def test_stall_times_out(fake, make_client) -> None:
    fake.script(Reply(stall=True), Reply(stall=True))
    client = make_client(fake, llm_timeout_seconds=0.5, llm_max_retries=1)
    with pytest.raises(LLMTimeout, match=r"0\.5 seconds after 2 attempts"):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert len(fake.chat_requests) == 2


async def test_connection_refused(make_client, make_settings) -> None:
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_client(llm_base_url=f"http://127.0.0.1:{port}/v1", llm_max_retries=1)
    with pytest.raises(LLMUnavailable, match=r"127\.0\.0\.1"):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")


@pytest.mark.parametrize(("status", "hint"), [(401, "LLM_API_KEY"), (403, "LLM_API_KEY")])
async def test_auth_errors_are_not_retried(fake, make_client, status, hint) -> None:
    fake.script(Reply(status=status))
    client = make_client(fake)
    with pytest.raises(LLMUnavailable, match=hint):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert len(fake.chat_requests) == 1


async def test_unknown_model(fake, make_client) -> None:
    fake.script(Reply(status=404))
    client = make_client(fake, llm_model="no-such-model")
    with pytest.raises(LLMUnavailable, match="no-such-model"):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")


async def test_api_key_never_in_errors_or_logs(fake, make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"Incorrect API key provided: {API_KEY}. You can find your API key at ..."
    fake.script(
        Reply(status=500, error_message=echo, headers={"retry-after-ms": "5"}),
        Reply(status=401, error_message=echo),
    )
    client = make_client(fake)
    with pytest.raises(LLMUnavailable) as info:
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")

    rendered = "".join(traceback.format_exception(info.value))
    assert "Incorrect API key" not in rendered  # no server text or chained openai error
    assert API_KEY not in rendered and "Bearer" not in rendered
    assert "Incorrect API key provided: [redacted]" in caplog.text  # logged, but redacted
    assert API_KEY not in caplog.text and "Bearer" not in caplog.text


# --- concurrency and usage -------------------------------------------------------------------


async def test_concurrency_is_bounded(fake, make_client) -> None:
    fake.script(*[Reply(content=VALID_SUMMARY, delay=0.3) for _ in range(6)])
    client = make_client(fake, llm_max_concurrency=2)
    results = await asyncio.gather(
        *[client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary") for _ in range(6)]
    )
    assert len(results) == 6
    assert fake.max_in_flight == 2


async def test_usage_is_recorded_with_cached_tokens(fake, make_client, records) -> None:
    fake.script(Reply(content=VALID_SUMMARY, usage=(1200, 80, 1024)))
    client = make_client(fake)
    done = await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    [record] = records
    assert (record.task, record.model, record.mode, record.streamed) == (
        "summary",
        "gpt-4o-mini",
        "json_schema",
        False,
    )
    assert (record.usage.prompt_tokens, record.usage.completion_tokens) == (1200, 80)
    assert record.usage.cached_tokens == 1024 and record.usage.calls == 1
    assert record.latency_ms > 0
    assert done.usage == record.usage


async def test_usage_without_cached_details(fake, make_client, records) -> None:
    fake.script(Reply(content=VALID_SUMMARY, usage=(500, 40)))
    client = make_client(fake)
    await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert (records[0].usage.prompt_tokens, records[0].usage.cached_tokens) == (500, 0)


async def test_a_failing_usage_sink_does_not_fail_the_call(fake, make_settings, caplog) -> None:
    def broken_sink(record: CallRecord) -> None:
        raise RuntimeError("store is down")

    settings = make_settings(llm_base_url=fake.base_url, llm_api_key=API_KEY)
    async with LLMClient(settings.llm, usage_sink=broken_sink) as client:
        done = await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary")
    assert done.value.bullets
    assert "usage sink failed" in caplog.text


# --- streaming -------------------------------------------------------------------------------


async def test_stream_yields_growing_partials_then_the_value(make_client, records) -> None:
    with FakeOpenAI(chunk_size=8) as server:
        server.script(Reply(usage=(300, 60, 128)))
        client = make_client(server)
        updates = [
            u
            async for u in client.stream(
                AnswerOut, question("When is construction scheduled to begin?"), task="answer"
            )
        ]

    *partials, last = updates
    answers = [p.partial["answer"] for p in partials if "answer" in p.partial]
    assert len(answers) >= 3
    for before, after in itertools.pairwise(answers):
        assert after.startswith(before) and len(after) >= len(before)
    assert all(p.completion is None for p in partials)
    assert last.completion is not None
    assert last.completion.value.answer.startswith(answers[-1])
    assert last.completion.value.quotes[0].paragraph == 3
    assert last.partial["answerable"] is True

    [request] = server.chat_requests
    assert request.json["stream"] is True
    assert request.json["stream_options"] == {"include_usage": True}
    [record] = records
    assert record.streamed is True
    assert (record.usage.prompt_tokens, record.usage.cached_tokens) == (300, 128)
    assert last.completion.usage.calls == 1


async def test_stream_without_stream_options_support(make_client, records) -> None:
    with FakeOpenAI(reject_stream_options=True) as server:
        client = make_client(server)
        for _ in range(2):
            updates = [u async for u in client.stream(SummaryOut, SUMMARY_MESSAGES, task="summary")]
            assert updates[-1].completion is not None
    assert ["stream_options" in r.json for r in server.chat_requests] == [True, False, False]
    # No usage chunk: the call is still recorded, with an offline estimate.
    assert len(records) == 2 and records[0].usage.prompt_tokens > 50


async def test_invalid_stream_is_repaired_without_streaming(fake, make_client) -> None:
    fake.script(Reply(content='{"tldr": "cut'), Reply(content=VALID_SUMMARY))
    client = make_client(fake)
    updates = [u async for u in client.stream(SummaryOut, SUMMARY_MESSAGES, task="summary")]
    assert updates[-2].partial == {"tldr": "cut"}  # the last partial, before the repair
    assert updates[-1].completion is not None
    assert updates[-1].completion.usage.calls == 2
    assert [r.json.get("stream", False) for r in fake.chat_requests] == [True, False]


async def test_stream_timeout_mid_reply(make_client) -> None:
    with FakeOpenAI(chunk_delay=2.0) as server:
        client = make_client(server, llm_timeout_seconds=0.5)
        with pytest.raises(LLMTimeout):
            async for _ in client.stream(SummaryOut, SUMMARY_MESSAGES, task="summary"):
                pass


# --- budget ----------------------------------------------------------------------------------


async def test_budget_is_checked_before_any_request(fake, make_client) -> None:
    client = make_client(fake, llm_context_window=4_096, llm_output_reserve=1_000)
    huge = [{"role": "user", "content": "tidal turbine " * 4_000}]
    with pytest.raises(BudgetExceeded):
        await client.complete(SummaryOut, huge, task="summary")
    with pytest.raises(BudgetExceeded):
        async for _ in client.stream(SummaryOut, huge, task="summary"):
            pass
    with pytest.raises(BudgetExceeded):
        await client.complete(SummaryOut, SUMMARY_MESSAGES, task="summary", max_output_tokens=4_000)
    assert fake.requests == []


# --- retry policy ----------------------------------------------------------------------------


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None
    now = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"Retry-After": date}, now=now) == 30.0
    past = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"Retry-After": past}, now=now) == 0.0


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, max_retry_after=30.0)
    low, high = (lambda: 0.0), (lambda: 1.0)
    assert [policy.backoff(a, low) for a in range(5)] == [0.25, 0.5, 1.0, 2.0, 2.0]
    assert [policy.backoff(a, high) for a in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.delay(0, 3.0, low) == 3.0
    assert 3.0 <= policy.delay(0, 3.0, high) <= 3.3
    assert policy.delay(0, 31.0) is None
