"""LLM faults at the wire level: whatever the server sends, the bot ends with an LLM error (then
the offline engine's result) and never an internal error; time bounds hold for whole calls; a
failed half cancels or keeps its sibling for the right reason.

All against the fake OpenAI-compatible server on 127.0.0.1, through the real openai package.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pydantic import BaseModel

from bot.analysis.analyzer import Analyzer
from bot.analysis.models import AnswerDone
from bot.domain.article import Article
from bot.errors import LLMError, LLMRateLimited, LLMTimeout, LLMUnavailable
from bot.ingest.extract import extract_text
from bot.llm.client import LLMClient
from tests.fakes.openai_server import FAULTS, FakeOpenAI, Reply
from tests.shared_data import SAMPLE_ARTICLE

API_KEY = "sk-faults-0123456789abcdef"
VALID = {"tldr": "A pilot was approved.", "bullets": ["Vote"]}
MESSAGES = [
    {"role": "system", "content": "You summarise articles."},
    {"role": "user", "content": "<article>\n[1] The council voted.\n</article>\n\nSummarise."},
]
COMPLETION_FAULTS = [f for f in FAULTS if not f.startswith("sse_")]
STREAM_FAULTS = [f for f in FAULTS if f.startswith("sse_")]


class Out(BaseModel):
    tldr: str
    bullets: list[str]


def retries(fault: str) -> float:
    return REGISTRY.get_sample_value("articlebot_llm_retries_total", {"fault": fault}) or 0.0


def fallbacks(task: str) -> float:
    return REGISTRY.get_sample_value("articlebot_offline_fallbacks_total", {"task": task}) or 0.0


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client_for(make_settings: Callable[..., Any]) -> AsyncIterator[Callable[..., LLMClient]]:
    clients: list[LLMClient] = []

    def factory(server: FakeOpenAI, **overrides: Any) -> LLMClient:
        values: dict[str, Any] = {
            "llm_api_key": API_KEY,
            "llm_base_url": server.base_url,
            "llm_max_retries": 2,
        }
        client = LLMClient(make_settings(**{**values, **overrides}).llm)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


# --- completions that are not completions -------------------------------------------------


@pytest.mark.parametrize("fault", COMPLETION_FAULTS)
async def test_a_malformed_completion_is_retried(fake, client_for, fault: str) -> None:
    fake.script(Reply(fault=fault), Reply(content=VALID))
    before = retries("malformed")
    done = await client_for(fake).complete(Out, MESSAGES, task="summary")
    assert done.value.tldr == "A pilot was approved."
    assert len(fake.chat_requests) == 2
    assert retries("malformed") == before + 1


@pytest.mark.parametrize("fault", COMPLETION_FAULTS)
async def test_a_malformed_completion_until_retries_run_out_is_an_llm_error(
    fake, client_for, fault: str
) -> None:
    fake.script(*[Reply(fault=fault)] * 3)
    with pytest.raises(LLMUnavailable, match="not a valid answer after 3 attempts"):
        await client_for(fake).complete(Out, MESSAGES, task="summary")


@pytest.mark.parametrize("fault", [*COMPLETION_FAULTS, *STREAM_FAULTS])
async def test_a_broken_stream_is_an_llm_error(fake, client_for, fault: str) -> None:
    """Before any content a stream is retried like a call; after content it is final."""
    fake.script(*[Reply(content=VALID, fault=fault)] * 3)
    partials: list[dict[str, Any]] = []
    with pytest.raises(LLMError):
        async for update in client_for(fake).stream(Out, MESSAGES, task="summary"):
            partials.append(update.partial)
    expected_requests = 3 if fault in COMPLETION_FAULTS else 1
    assert len(fake.chat_requests) == expected_requests
    assert all(u != VALID for u in partials)


async def test_a_stream_broken_before_content_is_retried(fake, client_for) -> None:
    fake.script(Reply(fault="html_page"), Reply(content=VALID))
    updates = [u async for u in client_for(fake).stream(Out, MESSAGES, task="summary")]
    assert updates[-1].completion is not None and updates[-1].completion.value.tldr
    assert len(fake.chat_requests) == 2


# --- time bounds ----------------------------------------------------------------------------


async def test_the_timeout_bounds_a_whole_stream_not_the_gap_between_chunks(client_for) -> None:
    """Every chunk arrives well within the timeout, but the whole reply would take ~3 s."""
    with FakeOpenAI(chunk_size=2, chunk_delay=0.1) as server:
        server.script(Reply(content=VALID))
        client = client_for(server, llm_timeout_seconds=0.8, llm_max_retries=0)
        with pytest.raises(LLMTimeout, match=r"0\.8 seconds"):
            async for _ in client.stream(Out, MESSAGES, task="summary"):
                pass
        await asyncio.sleep(0.2)
        # The client hung up before the reply was complete, and the server stopped generating.
        assert server.abandoned == 1


async def test_the_timeout_bounds_a_slow_completion(client_for) -> None:
    with FakeOpenAI() as server:
        server.script(Reply(content=VALID, delay=5))
        client = client_for(server, llm_timeout_seconds=0.5, llm_max_retries=0)
        with pytest.raises(LLMTimeout):
            await client.complete(Out, MESSAGES, task="summary")


# --- what the user is told about waiting --------------------------------------------------


@pytest.mark.parametrize(("seconds", "said"), [("2", None), ("20", "20 seconds")])
async def test_rate_limit_message_reflects_the_real_wait(
    fake, client_for, seconds: str, said: str | None
) -> None:
    fake.script(*[Reply(status=429, headers={"Retry-After": seconds})])
    with pytest.raises(LLMRateLimited) as info:
        await client_for(fake, llm_max_retries=0).complete(Out, MESSAGES, task="summary")
    message = info.value.user_message
    assert "minute" not in message
    if said is None:
        assert "try again in" not in message  # a 2 s wait is over before anyone reads this
    else:
        assert f"try again in about {said}" in message


# --- the two halves of a summary ----------------------------------------------------------


@pytest.fixture
def sample() -> Article:
    return extract_text(SAMPLE_ARTICLE.read_text(encoding="utf-8"), kind="markdown")


async def test_a_server_fault_cancels_the_sibling_call(make_settings, sample) -> None:
    """Summary fails at once with a server fault while actors is still generating: the actors
    call is cancelled and its connection closed; the one-slot-style server stops generating."""
    with FakeOpenAI() as server:
        # The 500 comes after 0.3 s, so the actors request is surely being generated by then.
        server.script_for("summary", Reply(status=500, delay=0.3))
        server.script_for("actors", Reply(delay=10))
        settings = make_settings(
            llm_api_key=API_KEY, llm_base_url=server.base_url, llm_max_retries=0
        )
        async with LLMClient(settings.llm) as llm:
            analyzer = Analyzer(settings.analysis, llm=llm)
            before = fallbacks("summary")
            result = await analyzer.summarize(sample, fallback=True)
            await asyncio.sleep(0.2)
        assert server.abandoned == 1  # the actors request was dropped, not answered
    assert result.engine == "offline" and result.fallback
    assert "HTTP 500" in (result.notice or "")
    assert fallbacks("summary") == before + 1


async def test_a_valid_half_survives_a_failed_half(make_settings, sample) -> None:
    """Summary replies are invalid twice (a reply fault): the actors call finishes and its
    verified actors are used; the summary is the offline engine's, and the notice says so."""
    with FakeOpenAI() as server:
        server.script_for("summary", Reply(content="no json"), Reply(content="still none"))
        settings = make_settings(llm_api_key=API_KEY, llm_base_url=server.base_url)
        async with LLMClient(settings.llm) as llm:
            result = await Analyzer(settings.analysis, llm=llm).summarize(sample, fallback=True)
            strict_error = None
            server.script_for("summary", Reply(content="no json"), Reply(content="still none"))
            try:
                await Analyzer(settings.analysis, llm=llm).summarize(sample, fallback=False)
            except LLMError as exc:
                strict_error = exc
    assert result.engine == "offline" and result.fallback  # the summary is the offline one
    assert result.actors and all(a.quotes for a in result.actors)
    assert result.summary.tldr and "failed" in (result.notice or "")
    assert "on the summary" in (result.notice or "")
    assert "key actors are the language model's" in (result.notice or "")
    assert strict_error is not None  # without fallback there is no summary to lead with


async def test_missing_actors_are_said_to_be_missing(make_settings, sample) -> None:
    with FakeOpenAI() as server:
        server.script_for("actors", Reply(content="{"), Reply(content="{"))
        settings = make_settings(llm_api_key=API_KEY, llm_base_url=server.base_url)
        async with LLMClient(settings.llm) as llm:
            result = await Analyzer(settings.analysis, llm=llm).summarize(sample, fallback=False)
    assert result.engine == "llm" and not result.fallback
    assert result.summary.bullets and result.actors == []
    assert "key actors are missing" in (result.notice or "")


async def test_a_broken_answer_stream_falls_back(make_settings, sample) -> None:
    with FakeOpenAI() as server:
        server.script(Reply(fault="sse_truncated"))
        settings = make_settings(llm_api_key=API_KEY, llm_base_url=server.base_url)
        async with LLMClient(settings.llm) as llm:
            analyzer = Analyzer(settings.analysis, llm=llm)
            events = [
                e
                async for e in analyzer.answer_stream(
                    sample, "Who voted against the pilot?", fallback=True
                )
            ]
    done = events[-1]
    assert isinstance(done, AnswerDone)
    assert done.result.engine == "offline" and done.result.fallback
    assert "not a valid answer" in (done.result.notice or "")


def long_article(copies: int) -> Article:
    base = extract_text(SAMPLE_ARTICLE.read_text(encoding="utf-8"), kind="markdown")
    paragraphs = [f"Part {i + 1}. {text}" for i in range(copies) for text in base.paragraphs]
    return Article.build(paragraphs, title=base.title)


async def test_a_failed_map_step_cancels_the_others(make_settings) -> None:
    """A long article read in parts: one part failing ends the summary (the offline one is
    used) and the parts still being generated are dropped, not left running."""
    with FakeOpenAI() as server:
        server.script_for("chunk_notes", Reply(status=500, delay=0.3), *[Reply(delay=10)] * 3)
        settings = make_settings(
            llm_api_key=API_KEY,
            llm_base_url=server.base_url,
            llm_max_retries=0,
            llm_context_window=4_096,
            llm_output_reserve=1_000,
        )
        async with LLMClient(settings.llm) as llm:
            result = await Analyzer(settings.analysis, llm=llm).summarize(
                long_article(6), fallback=True
            )
            await asyncio.sleep(0.2)
        parts = [r for r in server.chat_requests if r.task == "chunk_notes"]
        assert len(parts) >= 3  # the article was read in parts, several at once
        assert server.abandoned == len(parts) - 1  # all but the failed one were dropped
    assert result.engine == "offline" and "HTTP 500" in (result.notice or "")


async def test_calls_are_counted_in_metrics(fake, client_for) -> None:
    def sample(name: str, labels: dict[str, str]) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    prompt = sample("articlebot_llm_tokens_total", {"kind": "prompt"})
    latency = sample("articlebot_llm_latency_seconds_count", {"task": "metrics_probe"})
    fake.script(Reply(content=VALID, usage=(321, 12, 0)))
    await client_for(fake).complete(Out, MESSAGES, task="metrics_probe")
    assert sample("articlebot_llm_tokens_total", {"kind": "prompt"}) == prompt + 321
    assert sample("articlebot_llm_latency_seconds_count", {"task": "metrics_probe"}) == latency + 1
