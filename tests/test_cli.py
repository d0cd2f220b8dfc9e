"""`articlebot` as a user runs it: a real subprocess, real servers on 127.0.0.1.

Both engines, readable text and the documented `--json` documents, exit codes (2 for bad
input, 1 for other failures), and the promise that a fabricated quote never reaches stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.article_server import ARTICLE_TITLE, ArticleServer
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.shared_data import SAMPLE_ARTICLE

SUMMARY_KEYS = {"article", "summary", "actors", "engine", "usage", "dropped_quotes", "notice"}
ARTICLE_KEYS = {"title", "url", "words", "tokens", "paragraphs", "truncated"}
ANSWER_KEYS = {
    "answer", "answerable", "supported", "quotes", "engine", "usage", "dropped_quotes", "notice",
}  # fmt: skip
USAGE_KEYS = {"calls", "prompt_tokens", "completion_tokens", "cached_tokens"}
FABRICATED = "The mayor promised free electricity to every household forever"


@pytest.fixture(scope="module")
def web() -> Iterator[ArticleServer]:
    with ArticleServer() as server:
        yield server


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def run(tmp_path: Path):
    """Run the installed `articlebot` in an empty directory with a clean environment."""

    def runner(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "OPENAI_"))}
        clean.update({"DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path), **env})
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=clean,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return runner


def llm_env(fake: FakeOpenAI) -> dict[str, str]:
    return {"LLM_BASE_URL": fake.base_url, "LLM_API_KEY": "sk-cli-test-0123456789abcdef"}


def test_offline_summary_text_says_it_is_offline(run) -> None:
    result = run("summarize", str(SAMPLE_ARTICLE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Port Ellery council approves tidal energy pilot")
    assert "Offline mode" in result.stdout and "LLM_API_KEY" in result.stdout
    assert "Key actors" in result.stdout and "Helen Okafor" in result.stdout
    assert result.stderr == "", "no progress noise when stderr is not a terminal"


def test_offline_summary_json_is_the_documented_document(run) -> None:
    result = run("summarize", str(SAMPLE_ARTICLE), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == SUMMARY_KEYS and set(doc["article"]) == ARTICLE_KEYS
    assert set(doc["usage"]) == USAGE_KEYS and doc["engine"] == "offline"
    assert doc["article"]["paragraphs"] == 13 and doc["article"]["truncated"] is False
    assert set(doc["summary"]) == {"tldr", "bullets"}
    assert all(set(b) == {"text", "paragraphs"} for b in doc["summary"]["bullets"])
    for actor in doc["actors"]:
        assert set(actor) == {"name", "kind", "role", "did", "quotes"}
        assert all(set(q) == {"text", "paragraph"} for q in actor["quotes"])


def test_offline_ask_json(run) -> None:
    result = run("ask", str(SAMPLE_ARTICLE), "How many permanent jobs will it bring?", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == ANSWER_KEYS and doc["engine"] == "offline"
    assert doc["answerable"] and doc["supported"]
    assert any("40 permanent jobs" in q["text"] for q in doc["quotes"])


def test_summarize_url_with_llm_json(run, web: ArticleServer, llm: FakeOpenAI) -> None:
    url = web.url("/article")
    result = run("summarize", url, "--json", FETCH_ALLOW_NETWORKS="127.0.0.1/32", **llm_env(llm))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == SUMMARY_KEYS and doc["engine"] == "llm"
    assert doc["article"]["title"] == ARTICLE_TITLE and doc["article"]["url"] == url
    assert doc["usage"]["calls"] == 2 and doc["usage"]["prompt_tokens"] > 0
    assert doc["summary"]["bullets"]


def test_ask_with_llm_never_prints_a_fabricated_quote(run, llm: FakeOpenAI) -> None:
    llm.script_for(
        "answer",
        Reply(
            content={
                "quotes": [{"text": FABRICATED, "paragraph": 3}],
                "answerable": True,
                "answer": f'The mayor said "{FABRICATED}".',
            }
        ),
    )
    result = run("ask", str(SAMPLE_ARTICLE), "What did the mayor promise?", **llm_env(llm))
    assert result.returncode == 0, result.stderr
    assert FABRICATED not in result.stdout
    assert "not found in the article" in result.stdout
    assert "Unsupported" in result.stdout


def test_ask_with_llm_json(run, llm: FakeOpenAI) -> None:
    result = run(
        "ask", str(SAMPLE_ARTICLE), "How many permanent jobs will it bring?", "--json",
        **llm_env(llm),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == ANSWER_KEYS and doc["engine"] == "llm" and doc["usage"]["calls"] == 1
    assert all(q["text"] in SAMPLE_ARTICLE.read_text() for q in doc["quotes"])


def test_stdin_source(run) -> None:
    result = run("summarize", "-", "--json", stdin=SAMPLE_ARTICLE.read_text())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["article"]["words"] > 500


def test_chat_answers_follow_ups_until_eof(run) -> None:
    result = run(
        "chat", str(SAMPLE_ARTICLE), stdin="How many jobs will the project bring?\nWho is Duarte?\n"
    )
    assert result.returncode == 0, result.stderr
    assert "40 permanent jobs" in result.stdout and "chief engineer" in result.stdout


@pytest.mark.parametrize(
    ("source", "allow", "message"),
    [
        ("missing-file.html", None, "No such file"),
        ("http://10.0.0.1/article", None, "not allowed"),
        ("http://169.254.169.254/latest/meta-data/", None, "not allowed"),
        ("/paywall", "127.0.0.1/32", "paste"),
        ("/status/404", "127.0.0.1/32", "404"),
        ("/image.png", "127.0.0.1/32", "image"),
        ("/article", None, "not allowed"),  # 127.0.0.1 is refused unless explicitly allowed
    ],
)
def test_bad_input_exits_2_with_one_clear_line(
    run, web: ArticleServer, source: str, allow: str | None, message: str
) -> None:
    target = web.url(source) if source.startswith("/") else source
    env = {"FETCH_ALLOW_NETWORKS": allow} if allow else {}
    result = run("summarize", target, **env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("articlebot: ")
    assert message.lower() in lines[0].lower()
    assert result.stdout == ""


def test_llm_failure_exits_1_without_leaking_the_key(run, llm: FakeOpenAI) -> None:
    llm.script_for("summary", *[Reply(status=500)] * 3)
    env = {**llm_env(llm), "LLM_MAX_RETRIES": "0", "SUMMARY_LANGUAGE": "English (exit test)"}
    # `--engine llm`: no fallback, so the failure is the outcome (auto falls back, see below).
    result = run("summarize", str(SAMPLE_ARTICLE), "--engine", "llm", **env)
    assert result.returncode == 1
    assert result.stderr.startswith("articlebot: ") and len(result.stderr.splitlines()) == 1
    assert "sk-cli-test" not in result.stderr + result.stdout


@pytest.mark.parametrize("fault", ["html_page", "empty_choices", "json_cut_off"])
def test_engine_auto_falls_back_with_a_note(run, fault: str) -> None:
    """A server that keeps sending something that is not a completion: the offline result,
    with the reason on stderr and in --json's notice; the same fault with --engine llm exits 1."""
    with FakeOpenAI() as llm:
        _auto_falls_back(run, llm, fault)


def _auto_falls_back(run, llm: FakeOpenAI, fault: str) -> None:
    env = {**llm_env(llm), "LLM_MAX_RETRIES": "1", "SUMMARY_LANGUAGE": f"English ({fault})"}
    llm.script(*[Reply(fault=fault)] * 4)
    result = run("summarize", str(SAMPLE_ARTICLE), "--json", **env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["engine"] == "offline"
    assert "language model" in document["notice"] and "not a valid answer" in document["notice"]
    [note] = result.stderr.strip().splitlines()
    assert note.startswith("articlebot: note: ") and document["notice"] in note
    assert "Traceback" not in result.stderr and "sk-cli-test" not in result.stderr

    llm.script(*[Reply(fault=fault)] * 4)
    strict = run("summarize", str(SAMPLE_ARTICLE), "--engine", "llm", **env)
    assert strict.returncode == 1 and "not a valid answer" in strict.stderr
    assert "Traceback" not in strict.stderr


def test_ask_auto_falls_back_when_the_stream_breaks(run) -> None:
    with FakeOpenAI() as llm:
        llm.script(*[Reply(fault="sse_garbled_chunk")] * 2)
        env = {**llm_env(llm), "LLM_MAX_RETRIES": "1"}
        result = run("ask", str(SAMPLE_ARTICLE), "Who voted against the pilot?", "--json", **env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["engine"] == "offline" and "language model" in document["notice"]
    assert "articlebot: note: " in result.stderr


def test_unanswerable_empty_answer_says_so(run) -> None:
    empty = {"quotes": [], "answerable": False, "answer": ""}
    question = "What is the mayor's favourite colour?"
    with FakeOpenAI() as llm:
        llm.script(*[Reply(content=empty)] * 4)
        text = run("ask", str(SAMPLE_ARTICLE), question, **llm_env(llm))
        as_json = run("ask", str(SAMPLE_ARTICLE), question, "--json", **llm_env(llm))
    assert text.returncode == 0 and "doesn't say" in text.stdout
    document = json.loads(as_json.stdout)
    assert document["answerable"] is False and "doesn't say" in document["answer"]


def test_invalid_setting_fails_at_start_naming_the_variable(run) -> None:
    result = run("summarize", str(SAMPLE_ARTICLE), LLM_TIMEOUT_SECONDS="soon")
    assert result.returncode == 1
    assert (
        result.stderr.strip().splitlines() == [result.stderr.strip()]
        and "LLM_TIMEOUT_SECONDS" in result.stderr
    )


def test_engine_llm_without_configuration_is_bad_input(run) -> None:
    result = run("summarize", str(SAMPLE_ARTICLE), "--engine", "llm")
    assert result.returncode == 2 and "LLM_API_KEY" in result.stderr


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    """stderr as a terminal (a pty) shows progress lines; the result on stdout is unchanged."""
    import pty

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "OPENAI_"))}
    env |= {"DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "summarize", str(SAMPLE_ARTICLE)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=slave, text=True, timeout=120,
    )  # fmt: skip
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert result.returncode == 0 and result.stdout.startswith("Port Ellery")
    assert b"Reading tidal-pilot.md" in shown and b"Summarising" in shown


@pytest.mark.parametrize(
    "question",
    ["What did Macron say about the pilot?", "What is the share price of the developer?"],
)
def test_an_unanswered_question_says_the_article_doesnt_once(run, question: str) -> None:
    """Whether the answer names what is missing ("doesn't mention Macron") or not, the reader
    is told once that the article doesn't have it, not twice."""
    result = run("ask", str(SAMPLE_ARTICLE), question, "--engine", "offline")
    assert result.returncode == 0, result.stderr
    said = result.stdout.count("The article doesn't say") + result.stdout.count(
        "The article doesn't mention"
    )
    assert said == 1, result.stdout
