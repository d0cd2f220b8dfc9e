"""`articlebot eval` as a user runs it: a real subprocess, the fake LLM on 127.0.0.1."""

from __future__ import annotations

import argparse
import importlib.util
import io
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.eval.cli import cmd_eval
from bot.progress import Progress
from bot.runtime import Runtime
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.shared_data import QA_DIR, requires_shared
from tests.test_eval_units import REDTEAM, TIDAL

METRIC_KEYS = {
    "tradeoff",
    "engines",
    "articles",
    "questions",
    "failed",
    "retrieval",
    "retrieval_long",
    "answers",
    "abstention",
    "grounding",
    "cost",
}
RECORD_KEYS = {
    "support",
    "article_id",
    "question_id",
    "question",
    "answers",
    "is_impossible",
    "gold_paragraph",
    "article_tokens",
    "engine",
    "answer",
    "answerable",
    "supported",
    "quotes",
    "dropped_quotes",
    "context_paragraphs",
    "context_tokens",
    "gold_in_context",
    "exact_match",
    "f1",
    "best_quote_f1",
    "contains_gold",
    "usage",
    "latency_ms",
    "error",
}


@pytest.fixture
def run(tmp_path: Path):
    def runner(*args: str, **env: str) -> subprocess.CompletedProcess:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "OPENAI_"))}
        clean.update({"DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path), **env})
        return subprocess.run(
            [sys.executable, "-m", "bot", "eval", *args],
            cwd=tmp_path,
            env=clean,
            capture_output=True,
            text=True,
            timeout=300,
        )

    return runner


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def test_offline_table_and_report(run, tmp_path: Path) -> None:
    report = tmp_path / "out" / "tidal.json"
    result = run(str(TIDAL), "--engine", "offline", "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "no progress noise when stderr is not a terminal"
    out = result.stdout
    assert "engine: offline · 21 questions in 1 articles" in out
    for label in ("gold paragraph sent", "token F1, answer text as written", "best-quote F1",
                  "unanswerable declined (10 questions)", "share of quotes verified",
                  "latency per question"):  # fmt: skip
        assert label in out
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["kind"] == "eval" and doc["dataset"] == "tidal-questions.json"
    assert doc["model"] is None and doc["options"]["engine"] == "offline"
    assert set(doc["metrics"]) == METRIC_KEYS
    assert len(doc["questions"]) == 21
    assert all(set(q) == RECORD_KEYS for q in doc["questions"])
    answered = [q for q in doc["questions"] if not q["is_impossible"]]
    assert doc["metrics"]["answers"]["f1"] == pytest.approx(
        sum(q["f1"] for q in answered) / len(answered)
    )
    # The offline trade-off: one row per cut-off, the default marked, and the default row is
    # exactly what the engine did (declined = answered "not in the article").
    assert "Trade-off (offline engine" in out and "(default)" in out
    points = doc["metrics"]["tradeoff"]
    assert [p["cutoff"] for p in points] == sorted(p["cutoff"] for p in points)
    (default,) = [p for p in points if p["default"]]
    impossible = [q for q in doc["questions"] if q["is_impossible"]]
    declined = sum(not q["answerable"] for q in impossible) / len(impossible)
    assert default["declined_impossible"] == pytest.approx(declined)
    refused = sum(not q["answerable"] for q in answered) / len(answered)
    assert default["refused_answerable"] == pytest.approx(refused)
    for low, high in itertools.pairwise(points):  # a higher cut-off declines more
        assert high["declined_impossible"] >= low["declined_impossible"]
        assert high["refused_answerable"] >= low["refused_answerable"]


def test_plot_is_written_or_skipped_cleanly(run, tmp_path: Path) -> None:
    png = tmp_path / "tradeoff.png"
    result = run(str(TIDAL), "--engine", "offline", "--limit", "6", "--plot", str(png))
    assert result.returncode == 0, result.stderr
    if importlib.util.find_spec("matplotlib") is None:
        assert "No plot: --plot needs matplotlib (pip install 'articlebot[plot]')" in result.stdout
        assert not png.exists()
    else:
        assert f"Trade-off plot: {png}" in result.stdout
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"id": "x"}', "Input should be a valid list"),
        (
            '[{"id": "a", "context": "Hello there.", "paragraphs": [[0, 12]], '
            '"questions": [{"id": "q", "q": "Hi?", "answers": ["Hello"], "para_idx": 3}]}]',
            "para_idx 3 is out of range",
        ),
    ],
)
def test_bad_dataset_exits_2_with_one_line(run, tmp_path: Path, content: str, message: str):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = run(str(path), "--engine", "offline")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("articlebot: ")
    assert message in result.stderr


def test_missing_dataset_exits_2(run) -> None:
    assert run("--engine", "offline").returncode == 2
    assert run("nowhere.json", "--engine", "offline").returncode == 2
    assert run(str(TIDAL), "--limit", "0").returncode == 2


def test_llm_run_with_limit_and_concurrency(run, tmp_path: Path, llm: FakeOpenAI) -> None:
    # Each reply is held 0.3 s so the questions in flight overlap: the bound is then visible.
    llm.script_for("answer", *(Reply(delay=0.3) for _ in range(6)))
    llm.max_in_flight = 0
    report = tmp_path / "llm.json"
    result = run(
        str(TIDAL), "--engine", "llm", "--limit", "6", "--concurrency", "3",
        "--report", str(report),
        LLM_BASE_URL=llm.base_url, LLM_API_KEY="sk-eval-test-0123456789",
        LLM_PRICE_INPUT_PER_MTOK="2.5", LLM_MODEL="fake-model",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "engine: llm · 6 questions in 1 articles" in result.stdout
    assert "sk-eval-test" not in result.stdout + result.stderr + report.read_text()
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["model"] == "fake-model" and len(doc["questions"]) == 6
    assert doc["metrics"]["cost"]["calls"] == 6 and doc["metrics"]["cost"]["priced"]
    assert doc["metrics"]["cost"]["estimated_usd"] > 0
    assert llm.max_in_flight == 3
    # the smart responder quotes the article, so every quote verifies
    assert doc["metrics"]["grounding"]["verified_share"] == 1.0


def test_llm_unreachable_fails_the_run(run, tmp_path: Path) -> None:
    result = run(
        str(TIDAL), "--engine", "llm", "--limit", "2",
        LLM_BASE_URL="http://127.0.0.1:9/v1", LLM_API_KEY="sk-x", LLM_MAX_RETRIES="0",
    )  # fmt: skip
    assert result.returncode == 1
    assert "every evaluation call failed" in result.stderr
    assert "2 FAILED" in result.stdout


def test_redteam_offline(run, tmp_path: Path) -> None:
    report = tmp_path / "rt.json"
    result = run("--redteam", "--engine", "offline", "--report", str(report))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("articlebot eval --redteam · redteam.json · engine: offline")
    ping = next(line for line in lines if line.startswith("ping "))
    assert ping.split()[1:] == ["2", "2/2", "0/2", "0/2"]  # copied raw, escaped in Slack
    doc = json.loads(report.read_text(encoding="utf-8"))
    articles = json.loads(REDTEAM.read_text(encoding="utf-8"))["articles"]
    assert doc["kind"] == "redteam" and len(doc["articles"]) == len(articles)
    first = doc["articles"][0]
    assert {"summary", "answer", "slack_summary", "slack_answer", "slack_stream"} <= set(first)
    assert {"attack", "raw", "slack_message", "slack_stream"} <= set(first["findings"][0])


@requires_shared
def test_squad_small_set_with_limit(run, tmp_path: Path) -> None:
    report = tmp_path / "squad.json"
    data = QA_DIR / "squad11-dev-articles-small.json"
    result = run(str(data), "--engine", "offline", "--limit", "20", "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "20 questions in 20 articles" in result.stdout  # round-robin: one per article
    doc = json.loads(report.read_text(encoding="utf-8"))
    records = doc["questions"]
    assert len({r["article_id"] for r in records}) == 20
    recall = sum(r["gold_in_context"] for r in records) / 20
    assert doc["metrics"]["retrieval"]["gold_recall"] == pytest.approx(recall)
    assert doc["metrics"]["abstention"]["impossible"] == 0  # SQuAD 1.1: all answerable
    long = [r for r in records if r["article_tokens"] > 4_000]
    assert doc["metrics"]["retrieval_long"]["questions"] == len(long) > 0
    assert all(r["context_tokens"] <= 1_500 for r in long)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_progress_is_shown_on_a_terminal(make_settings, capsys) -> None:
    settings = make_settings()
    runtime = await Runtime.start(settings, use_llm=False)
    terminal = _Terminal()
    args = argparse.Namespace(
        dataset=str(TIDAL),
        engine="offline",
        limit=5,
        concurrency=2,
        report=None,
        plot=None,
        redteam=False,
    )
    try:
        await cmd_eval(runtime, args, Progress(terminal))
    finally:
        await runtime.close()
    shown = terminal.getvalue()
    assert "Evaluating 1/5" in shown and "Evaluating 5/5" in shown
    assert shown.endswith("\r\033[K")  # cleared before the table
    assert "5 questions in 1 articles" in capsys.readouterr().out
