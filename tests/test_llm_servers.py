"""Works with the servers people run: fake profiles of llama.cpp's two servers, Ollama, vLLM and
OpenAI (each with its real refusals and quirks), the structured-output ladder, the system-role
placement and its shared prompt prefix, tolerant parsing, and key redaction.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from pydantic import BaseModel

from bot.analysis.analyzer import Analyzer
from bot.config import Settings
from bot.domain.article import Article
from bot.domain.turn import Turn
from bot.errors import LLMUnavailable
from bot.ingest.extract import extract_text
from bot.llm.client import LLMClient
from bot.llm.structured import InvalidReply, parse_reply
from tests.fakes.openai_server import PROFILES, FakeOpenAI, Profile, Reply
from tests.shared_data import SAMPLE_ARTICLE

RULES_START = "You are articlebot"


@pytest.fixture
def sample() -> Article:
    return extract_text(SAMPLE_ARTICLE.read_text(encoding="utf-8"), kind="markdown")


def settings_for(make_settings: Callable[..., Settings], server: FakeOpenAI, **extra: Any):
    return make_settings(llm_base_url=server.base_url, llm_api_key=None, **extra)


def roles(body: dict[str, Any]) -> list[str]:
    return [m["role"] for m in body["messages"]]


def response_kind(body: dict[str, Any]) -> str:
    return (body.get("response_format") or {}).get("type", "none")


async def summarize_and_ask(settings: Settings, article: Article) -> tuple[Any, Any]:
    async with LLMClient(settings.llm) as llm:
        analyzer = Analyzer(settings.analysis, llm=llm)
        summary = await analyzer.summarize(article, fallback=True)
        answer = await analyzer.answer(article, "Who voted against the pilot?", fallback=True)
    return summary, answer


# --- profiles ------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["openai", "vllm", "ollama", "llama_server"])
async def test_json_schema_servers_work_with_defaults(make_settings, sample, profile) -> None:
    with FakeOpenAI(profile=profile) as server:
        summary, answer = await summarize_and_ask(settings_for(make_settings, server), sample)
    assert (summary.engine, summary.fallback, answer.engine) == ("llm", False, "llm")
    assert summary.summary.bullets and summary.actors and answer.answer.supported
    assert {response_kind(r.json) for r in server.chat_requests} == {"json_schema"}
    assert all(roles(r.json)[0] == "system" for r in server.chat_requests)


async def test_llama_server_has_one_slot_and_requests_queue(make_settings, sample) -> None:
    with FakeOpenAI(profile="llama_server") as server:
        server.script(Reply(delay=0.2), Reply(delay=0.2))
        summary, _ = await summarize_and_ask(settings_for(make_settings, server), sample)
    assert summary.engine == "llm"
    assert server.max_in_flight == 1  # summary and actors were sent together, served in turn


async def test_llama_cpp_python_with_user_role(make_settings, sample) -> None:
    """The issue's setup: json_schema refused with its real error, json_object with the schema
    attached from then on, rules in the user message (its gemma template drops system
    messages), raw newlines in strings tolerated, no usage in streams."""
    with FakeOpenAI(profile="llama_cpp_python") as server:
        settings = settings_for(make_settings, server, llm_system_role="user")
        summary, answer = await summarize_and_ask(settings, sample)
    assert (summary.engine, summary.fallback, answer.engine) == ("llm", False, "llm")
    assert summary.summary.tldr and summary.actors and answer.answer.supported
    kinds = [response_kind(r.json) for r in server.chat_requests]
    learned = kinds.index("json_object")
    assert 1 <= learned <= 2  # summary and actors raced to be refused; never asked again
    assert set(kinds[:learned]) == {"json_schema"} and set(kinds[learned:]) == {"json_object"}
    for request in server.chat_requests:
        assert "system" not in roles(request.json)
        assert request.json["messages"][0]["content"].startswith(RULES_START)
        if response_kind(request.json) == "json_object":
            assert request.json["response_format"]["schema"]["type"] == "object"
    assert not any("assistant" in roles(r.json) for r in server.chat_requests), "no repairs"


async def test_llama_cpp_python_refusal_is_its_real_error(make_settings) -> None:
    import httpx2

    with FakeOpenAI(profile="llama_cpp_python") as server:
        body = {
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "x"}},
        }
        response = httpx2.post(f"{server.base_url}/chat/completions", json=body)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "internal_server_error" and error["code"] is None
    assert "Input should be 'text' or 'json_object'" in error["message"]


async def test_a_template_that_drops_system_messages_is_detected(make_settings, sample) -> None:
    """Default settings on llama-cpp-python (gemma template): the system message never reaches
    the model, so the schema-forced replies come back blank. That is taken as the sign: the
    call is repeated once with the rules in the user message, and that is remembered."""
    with FakeOpenAI(profile="llama_cpp_python") as server:
        settings = settings_for(make_settings, server)
        summary, answer = await summarize_and_ask(settings, sample)
        async with LLMClient(settings.llm) as again:
            assert again.system_role == "user"
    assert (summary.engine, summary.fallback, answer.engine) == ("llm", False, "llm")
    assert summary.summary.tldr and summary.actors and answer.answer.supported
    with_system = [r for r in server.chat_requests if "system" in roles(r.json)]
    # At most: summary and actors each refused once (json_schema) and blank once.
    assert 1 <= len(with_system) <= 4
    assert all("system" not in roles(r.json) for r in server.chat_requests[len(with_system) :])


async def test_a_template_that_refuses_system_messages_moves_the_rules(
    make_settings, sample
) -> None:
    gemma = replace(PROFILES["llama_server"], rejects_system=True, slots=None)
    with FakeOpenAI(profile=gemma) as server:
        settings = settings_for(make_settings, server)
        summary, answer = await summarize_and_ask(settings, sample)
        async with LLMClient(settings.llm) as again:  # remembered for this base URL and model
            assert again.system_role == "user"
    assert (summary.engine, summary.fallback, answer.engine) == ("llm", False, "llm")
    refused = [r for r in server.chat_requests if "system" in roles(r.json)]
    assert 1 <= len(refused) <= 2  # the two parallel calls may both try once
    later = server.chat_requests[len(refused) :]
    assert later and all("system" not in roles(r.json) for r in later)


async def test_forced_system_role_on_a_server_that_refuses_it(make_settings, sample) -> None:
    gemma = replace(PROFILES["llama_server"], rejects_system=True)
    with FakeOpenAI(profile=gemma) as server:
        settings = settings_for(make_settings, server, llm_system_role="system")
        async with LLMClient(settings.llm) as llm:
            with pytest.raises(LLMUnavailable, match="LLM_SYSTEM_ROLE=user"):
                await Analyzer(settings.analysis, llm=llm).summarize(sample)


# --- the structured-output ladder ---------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (Profile("strict", json_schema=False, schema_key=False), "json_object_plain"),
        (Profile("old", json_schema=False, json_object=False), "none"),
    ],
)
async def test_auto_steps_down_to_what_the_server_takes(
    make_settings, sample, profile: Profile, expected: str
) -> None:
    with FakeOpenAI(profile=profile) as server:
        settings = settings_for(make_settings, server)
        summary, answer = await summarize_and_ask(settings, sample)
        async with LLMClient(settings.llm) as again:
            assert again.mode == expected  # remembered per base URL and model
    assert (summary.engine, summary.fallback, answer.engine) == ("llm", False, "llm")
    last = server.chat_requests[-1].json
    wanted_kind = {"json_object_plain": "json_object", "none": "none"}[expected]
    assert response_kind(last) == wanted_kind
    assert "schema" not in (last.get("response_format") or {})
    assert any("Schema name: answer" in m["content"] for m in last["messages"])


# --- the shared prefix of follow-ups ------------------------------------------------------


def flattened(body: dict[str, Any]) -> str:
    return "".join(f"<{m['role']}>{m['content']}" for m in body["messages"])


def shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@pytest.mark.parametrize("role", ["system", "user"])
@pytest.mark.parametrize("mode", ["json_schema", "json_object"])
async def test_follow_ups_share_most_of_their_prompt(make_settings, sample, role, mode) -> None:
    """Servers with prompt caching bill a follow-up's shared prefix once: keep it >= 85%."""
    questions = ["Who voted against the pilot?", "Why did they?", "When does construction start?"]
    with FakeOpenAI() as server:
        settings = settings_for(
            make_settings, server, llm_system_role=role, llm_structured_mode=mode
        )
        async with LLMClient(settings.llm) as llm:
            analyzer = Analyzer(settings.analysis, llm=llm)
            turns: list[Turn] = []
            for question in questions:
                result = await analyzer.answer(sample, question, turns=turns)
                turns.append(Turn(question=question, answer=result.answer.answer))
    prompts = [flattened(r.json) for r in server.chat_requests]
    assert len(prompts) == len(questions)
    for before, after in itertools.pairwise(prompts):
        assert shared_prefix(before, after) / len(after) >= 0.85


# --- tolerant parsing ---------------------------------------------------------------------


class Point(BaseModel):
    text: str
    paragraphs: list[int]


class Notes(BaseModel):
    title: str
    points: list[Point]


NOTES = Notes(
    title='A "quoted" title {with braces}',
    points=[Point(text="First, then second.", paragraphs=[1, 2]), Point(text="x", paragraphs=[])],
)


def variants(value: BaseModel) -> dict[str, str]:
    compact = value.model_dump_json()
    pretty = json.dumps(value.model_dump(), indent=2)
    with_comma = pretty.replace("]\n", "],\n").replace("}\n]", "},\n]")
    return {
        "plain": compact,
        "fenced": f"```json\n{pretty}\n```",
        "prose around": f"Here is the JSON you asked for:\n{compact}\nLet me know if it helps!",
        "prose and fence": f"Sure.\n```\n{pretty}\n```\nDone.",
        "trailing commas": with_comma,
        "raw newline in a string": compact.replace("First, then", "First,\nthen"),
        "raw tab in a string": compact.replace("First, then", "First,\tthen"),
    }


@pytest.mark.parametrize("name", list(variants(NOTES)))
def test_tolerated_shapes_parse_to_the_same_value(name: str) -> None:
    parsed = parse_reply(Notes, variants(NOTES)[name])
    expected = NOTES.model_dump()
    if "raw" in name:
        expected["points"][0]["text"] = parsed.points[0].text  # the character is kept as sent
        assert parsed.points[0].text.replace("\n", " ").replace("\t", " ") == "First, then second."
    assert parsed.model_dump() == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I cannot help with that.",
        NOTES.model_dump_json()[:-10],  # cut off
        '{"title": "t"}',  # a field missing
        '{"title": 3, "points": []}',  # a wrong type
    ],
)
def test_anything_else_is_invalid(text: str) -> None:
    with pytest.raises(InvalidReply):
        parse_reply(Notes, text)


# --- redaction of the API key ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["x", "test"])
async def test_a_short_key_is_not_redacted_inside_words(make_settings, caplog, key) -> None:
    caplog.set_level(logging.WARNING)
    with FakeOpenAI() as server:
        server.script(Reply(status=400, error_message="Invalid text: expected a test value"))
        settings = make_settings(llm_base_url=server.base_url, llm_api_key=key)
        async with LLMClient(settings.llm) as llm:
            with pytest.raises(LLMUnavailable) as info:
                await llm.complete(Notes, [{"role": "user", "content": "hi"}], task="notes")
    assert "Invalid text: expected a test value" in info.value.user_message
    assert "Invalid text: expected a test value" in caplog.text
    assert "[redacted]" not in caplog.text + info.value.user_message
