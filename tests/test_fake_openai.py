"""The fake OpenAI server itself: wire format, scripting, and the smart responder's grounding.

Other tests (and benchmarks) trust the smart responder to produce valid, verbatim-grounded
replies; these tests hold it to that, on the repo's sample article and, when available, on the
team's real news article.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import httpx2
import pytest
from pydantic import BaseModel

from bot.domain.article import split_paragraphs
from bot.llm.client import LLMClient
from tests.fakes.openai_server import FakeOpenAI, Reply, sentence_spans
from tests.shared_data import SAMPLE_ARTICLE, SHARED_DIR, requires_shared

NEWS_ARTICLE = SHARED_DIR / "articles" / "news-russia-china-2023.txt"


class Quote(BaseModel):
    text: str
    paragraph: int


class Bullet(BaseModel):
    text: str
    paragraphs: list[int]


class SummaryOut(BaseModel):
    tldr: str
    bullets: list[Bullet]


class Actor(BaseModel):
    name: str
    kind: Literal["person", "organisation", "country", "other"]
    role: str
    did: str
    quotes: list[Quote]


class ActorsOut(BaseModel):
    actors: list[Actor]


class AnswerOut(BaseModel):
    quotes: list[Quote]
    answerable: bool
    answer: str


class ChunkNotesOut(BaseModel):
    points: list[Bullet]
    actors: list[Actor]


def load_paragraphs(path: Path) -> list[str]:
    return split_paragraphs(path.read_text(encoding="utf-8"))


def article_prompt(paragraphs: list[str], numbers: list[int] | None = None) -> str:
    numbers = numbers or list(range(1, len(paragraphs) + 1))
    lines = "\n".join(f"[{n}] {paragraphs[n - 1]}" for n in numbers)
    return f"Title: Test\n<article>\n{lines}\n</article>"


def messages(user: str) -> list[dict[str, str]]:
    system = "The article arrives between <article> and </article>, like [3]."
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client_for(make_settings) -> AsyncIterator[Callable[..., LLMClient]]:
    clients: list[LLMClient] = []

    def factory(server: FakeOpenAI, **overrides: Any) -> LLMClient:
        settings = make_settings(llm_base_url=server.base_url, **overrides)
        clients.append(LLMClient(settings.llm))
        return clients[-1]

    yield factory
    for client in clients:
        await client.aclose()


def chat_body(task: str, user: str, **extra: Any) -> dict[str, Any]:
    schema = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    return {
        "model": "m",
        "messages": messages(user),
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": task, "strict": True, "schema": schema},
        },
        **extra,
    }


# --- wire format (plain HTTP, sync tests: the server runs in its own thread) ---------------


def test_models_endpoint(fake) -> None:
    response = httpx2.get(f"{fake.base_url}/models")
    assert response.status_code == 200
    assert response.json()["data"][0]["id"] == "fake-model"
    assert fake.requests[0].method == "GET"


def test_json_object_only_rejects_json_schema_like_llama_cpp() -> None:
    with FakeOpenAI(mode="json_object_only") as server:
        server.script(Reply(content="scripted"))
        rejected = httpx2.post(f"{server.base_url}/chat/completions", json=chat_body("x", "hi"))
        body = chat_body("x", "hi")
        body["response_format"] = {"type": "json_object"}
        accepted = httpx2.post(f"{server.base_url}/chat/completions", json=body)
    assert rejected.status_code == 500
    error = rejected.json()["error"]
    assert error["code"] == 500 and error["type"] == "server_error"
    assert "Input should be 'text' or 'json_object'" in error["message"]
    # The rejection consumed no scripted reply.
    assert accepted.json()["choices"][0]["message"]["content"] == "scripted"


def sse_events(response: httpx2.Response) -> list[str]:
    return [line[len("data: ") :] for line in response.text.splitlines() if line]


@pytest.mark.parametrize("include_usage", [True, False])
def test_streaming_wire_format(include_usage: bool) -> None:
    content = json.dumps({"tldr": "A fairly long sentence, split into many small chunks."})
    with FakeOpenAI(chunk_size=10) as server:
        server.script(Reply(content=content, usage=(11, 22, 3)))
        body = chat_body("summary", "hi", stream=True)
        if include_usage:
            body["stream_options"] = {"include_usage": True}
        response = httpx2.post(f"{server.base_url}/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    *events, done = sse_events(response)
    assert done == "[DONE]"
    chunks = [json.loads(e) for e in events]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    pieces = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    assert len([p for p in pieces if p]) >= 5
    assert "".join(pieces) == content
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    if include_usage:
        assert chunks[-1]["choices"] == []
        assert chunks[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 3}
    else:
        assert all(c.get("usage") is None for c in chunks)


async def test_script_for_keeps_concurrent_tasks_deterministic(fake, client_for) -> None:
    fake.script_for("answer", Reply(content={"quotes": [], "answerable": False, "answer": "A"}))
    fake.script_for("summary", Reply(content={"tldr": "S", "bullets": []}, delay=0.2))
    client = client_for(fake)
    summary, answer = await asyncio.gather(
        client.complete(SummaryOut, messages("x"), task="summary"),
        client.complete(AnswerOut, messages("x\n\nQuestion: y?"), task="answer"),
    )
    assert (summary.value.tldr, answer.value.answer) == ("S", "A")
    # Queues are used up: the next answer comes from the smart responder.
    again = await client.complete(AnswerOut, messages("x\n\nQuestion: y?"), task="answer")
    assert again.value.answer == "The article doesn't say."
    assert [r.task for r in fake.chat_requests].count("summary") == 1


# --- the smart responder (through the real client) -------------------------------------------


def assert_verbatim(quote_text: str, paragraph: int, paragraphs: list[str]) -> None:
    assert 1 <= paragraph <= len(paragraphs)
    assert quote_text and quote_text in paragraphs[paragraph - 1]


async def test_smart_summary(fake, client_for) -> None:
    paragraphs = load_paragraphs(SAMPLE_ARTICLE)
    client = client_for(fake)
    done = await client.complete(SummaryOut, messages(article_prompt(paragraphs)), task="summary")
    summary = done.value
    assert summary.tldr == sentence_spans(paragraphs[0])[0]
    assert 3 <= len(summary.bullets) <= 5
    for bullet in summary.bullets:
        [number] = bullet.paragraphs
        assert_verbatim(bullet.text, number, paragraphs)


async def test_smart_summary_from_notes(fake, client_for) -> None:
    notes = "\n".join(
        [
            "- [1, 2] The council approved a tidal pilot.",
            "- [4] Fishermen objected to the site.",
            "- [9] Construction starts in September.",
        ]
    )
    client = client_for(fake)
    done = await client.complete(SummaryOut, messages(f"Notes:\n{notes}"), task="summary")
    assert done.value.tldr == "The council approved a tidal pilot."
    assert [b.paragraphs for b in done.value.bullets] == [[1, 2], [4], [9]]


async def test_smart_actors(fake, client_for) -> None:
    paragraphs = load_paragraphs(SAMPLE_ARTICLE)
    client = client_for(fake)
    done = await client.complete(ActorsOut, messages(article_prompt(paragraphs)), task="actors")
    actors = done.value.actors
    assert len(actors) >= 2
    names = [a.name for a in actors]
    assert "Tidewater Energy" in names
    assert next(a for a in actors if a.name == "Tidewater Energy").kind == "organisation"
    for actor in actors:
        assert re.fullmatch(r"\S+ \S+", actor.name)
        [quote] = actor.quotes
        assert actor.name in quote.text
        assert_verbatim(quote.text, quote.paragraph, paragraphs)


async def test_smart_answer(fake, client_for) -> None:
    paragraphs = load_paragraphs(SAMPLE_ARTICLE)
    client = client_for(fake)
    ask = article_prompt(paragraphs) + "\n\nQuestion: How many turbines will sit on the seabed?"
    done = await client.complete(AnswerOut, messages(ask), task="answer")
    answer = done.value
    assert answer.answerable is True
    [quote] = answer.quotes
    assert "six underwater turbines" in quote.text and answer.answer == quote.text
    assert_verbatim(quote.text, quote.paragraph, paragraphs)


async def test_smart_answer_only_sees_the_excerpt(fake, client_for) -> None:
    paragraphs = load_paragraphs(SAMPLE_ARTICLE)
    client = client_for(fake)
    ask = article_prompt(paragraphs, [13, 14]) + "\n\nQuestion: When is construction scheduled?"
    done = await client.complete(AnswerOut, messages(ask), task="answer")
    assert done.value.quotes[0].paragraph == 14
    assert_verbatim(done.value.quotes[0].text, 14, paragraphs)


async def test_smart_answer_unanswerable(fake, client_for) -> None:
    paragraphs = load_paragraphs(SAMPLE_ARTICLE)
    client = client_for(fake)
    ask = article_prompt(paragraphs) + "\n\nQuestion: What is the capital of Peru?"
    done = await client.complete(AnswerOut, messages(ask), task="answer")
    assert done.value == AnswerOut(quotes=[], answerable=False, answer="The article doesn't say.")


async def test_smart_chunk_notes_in_json_object_mode(client_for) -> None:
    paragraphs = load_paragraphs(SAMPLE_ARTICLE)
    with FakeOpenAI(mode="json_object_only") as server:
        client = client_for(server)
        prompt = article_prompt(paragraphs, [5, 6, 7])
        done = await client.complete(ChunkNotesOut, messages(prompt), task="chunk_notes")
    assert done.mode == "json_object"
    assert [p.paragraphs for p in done.value.points] == [[5], [6], [7]]
    for point in done.value.points:
        assert_verbatim(point.text, point.paragraphs[0], paragraphs)
    for actor in done.value.actors:
        for quote in actor.quotes:
            assert quote.paragraph in (5, 6, 7)
            assert_verbatim(quote.text, quote.paragraph, paragraphs)


async def test_unknown_task_gets_a_minimal_valid_instance(fake, client_for) -> None:
    class Flag(BaseModel):
        level: Literal["low", "high"]
        note: str | None

    class Weird(BaseModel):
        flags: list[Flag]
        main: Flag
        score: float
        count: int
        ok: bool

    client = client_for(fake)
    done = await client.complete(Weird, messages("anything"), task="weird")
    assert done.value == Weird(
        flags=[], main=Flag(level="low", note=None), score=0, count=0, ok=False
    )


async def test_known_task_conforms_to_the_schema_sent(fake, client_for) -> None:
    class SummaryPlus(BaseModel):
        tldr: str
        bullets: list[Bullet]
        language: str
        confidence: float

    paragraphs = load_paragraphs(SAMPLE_ARTICLE)
    client = client_for(fake)
    done = await client.complete(SummaryPlus, messages(article_prompt(paragraphs)), task="summary")
    assert done.value.bullets and done.value.language == "" and done.value.confidence == 0


@requires_shared
async def test_smart_replies_are_verbatim_on_a_real_article(fake, client_for) -> None:
    paragraphs = load_paragraphs(NEWS_ARTICLE)
    client = client_for(fake)
    prompt = article_prompt(paragraphs)
    actors = (await client.complete(ActorsOut, messages(prompt), task="actors")).value.actors
    assert {"Wang Yi", "Vladimir Putin"} <= {a.name for a in actors}
    for actor in actors:
        for quote in actor.quotes:
            assert_verbatim(quote.text, quote.paragraph, paragraphs)
    ask = prompt + "\n\nQuestion: What did Wang Yi's visit to Moscow come amid?"
    answer = (await client.complete(AnswerOut, messages(ask), task="answer")).value
    assert answer.answerable
    for quote in answer.quotes:
        assert_verbatim(quote.text, quote.paragraph, paragraphs)
