"""Which LLM servers the bot works with, and with which settings: a compatibility table.

Runs summarize, ask (a question and a follow-up) and a small eval (6 questions of
eval/tidal-questions.json, no fallback) through the real pipeline against each server profile
of the fake OpenAI-compatible server (tests/fakes/openai_server.py: llama.cpp's llama-server,
llama-cpp-python's server, Ollama, vLLM, OpenAI, with their real refusals and quirks), and
prints profile x task -> ok / fallback / failed, LLM calls (HTTP requests) and seconds.

  ok        the language model's result, complete (ask: both answers supported by quotes;
            eval: "ok a/n" = a of n answerable questions answered with a verified quote)
  empty     no error, but the model said nothing useful (unsupported / "doesn't say")
  fallback  the bot answered, but (part of) the result is the offline engine's (with a note)
  failed    an error reached the user (eval: questions whose call failed)

With --base-url it runs the same tasks against a real server instead (calls then counts the
calls the bot recorded).

Usage: .venv/bin/python bench/llm_compat.py [--base-url URL --model NAME [--api-key KEY]
       [--system-role auto|system|user] [--structured-mode auto|...]]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.analysis.analyzer import Analyzer  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.domain.article import Article  # noqa: E402
from bot.domain.turn import Turn  # noqa: E402
from bot.domain.usage import CallRecord  # noqa: E402
from bot.errors import ArticlebotError  # noqa: E402
from bot.eval.dataset import load_dataset  # noqa: E402
from bot.eval.runner import run_questions  # noqa: E402
from bot.ingest.extract import extract_text  # noqa: E402
from bot.llm.client import LLMClient  # noqa: E402
from bot.llm.protocol import KNOWN_SERVERS  # noqa: E402
from tests.fakes.openai_server import PROFILES, FakeOpenAI  # noqa: E402

SAMPLE = REPO / "samples" / "tidal-pilot.md"
EVAL = REPO / "eval" / "tidal-questions.json"
EVAL_QUESTIONS = 6
QUESTIONS = ("Who voted against the pilot?", "When is construction scheduled to begin?")

# (row label, profile, settings): the defaults first, then what the README recommends.
ROWS: list[tuple[str, str, dict[str, Any]]] = [
    ("openai", "openai", {}),
    ("vllm", "vllm", {}),
    ("ollama", "ollama", {}),
    ("llama-server", "llama_server", {}),
    ("llama-server, gemma template", "llama_server_gemma", {}),
    ("llama-cpp-python (defaults)", "llama_cpp_python", {}),
    ("llama-cpp-python, SYSTEM_ROLE=user", "llama_cpp_python", {"llm_system_role": "user"}),
]


@dataclasses.dataclass
class Outcome:
    status: str
    calls: int
    seconds: float

    def cell(self) -> str:
        return f"{self.status} {self.calls}c {self.seconds:.2f}s"


class CallCounter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, record: CallRecord) -> None:
        self.calls += 1


def sample_article() -> Article:
    return extract_text(SAMPLE.read_text(encoding="utf-8"), kind="markdown")


async def task_summarize(analyzer: Analyzer, article: Article) -> str:
    result = await analyzer.summarize(article, fallback=True)
    return "fallback" if result.fallback or result.engine == "offline" else "ok"


async def task_ask(analyzer: Analyzer, article: Article) -> str:
    turns: list[Turn] = []
    statuses = []
    for question in QUESTIONS:
        result = await analyzer.answer(article, question, turns=turns, fallback=True)
        turns.append(Turn(question=question, answer=result.answer.answer))
        if result.fallback:
            statuses.append("fallback")
        else:
            statuses.append("ok" if result.answer.supported else "empty")
    return next((s for s in ("fallback", "empty") if s in statuses), "ok")


async def task_eval(analyzer: Analyzer, article: Article) -> str:
    records = await run_questions(
        analyzer, load_dataset(EVAL), engine="llm", limit=EVAL_QUESTIONS, concurrency=2
    )
    failed = sum(1 for r in records if r.error)
    if failed:
        return f"failed {failed}/{len(records)}"
    answerable = [r for r in records if not r.is_impossible]
    supported = sum(1 for r in answerable if r.supported)
    return f"{'ok' if supported else 'empty'} {supported}/{len(answerable)}"


TASKS: dict[str, Callable[[Analyzer, Article], Awaitable[str]]] = {
    "summarize": task_summarize,
    "ask": task_ask,
    "eval": task_eval,
}


async def run_row(settings: Settings, requests: Callable[[], int] | None) -> dict[str, Outcome]:
    """Every task against one server, with one client (as the bot process has)."""
    counter = CallCounter()
    article = sample_article()
    outcomes: dict[str, Outcome] = {}
    async with LLMClient(settings.llm, usage_sink=counter) as llm:
        analyzer = Analyzer(settings.analysis, llm=llm)
        for name, task in TASKS.items():
            before = requests() if requests else counter.calls
            start = time.perf_counter()
            try:
                status = await task(analyzer, article)
            except ArticlebotError as exc:
                status = f"failed ({exc.user_message[:40]})"
            seconds = time.perf_counter() - start
            calls = (requests() if requests else counter.calls) - before
            outcomes[name] = Outcome(status, calls, seconds)
    return outcomes


def fake_profiles() -> dict[str, Any]:
    profiles: dict[str, Any] = dict(PROFILES)
    # llama-server --jinja with a template that raises on a system message (gemma's).
    profiles["llama_server_gemma"] = dataclasses.replace(
        PROFILES["llama_server"], name="llama_server_gemma", rejects_system=True
    )
    return profiles


async def run_fakes(data_dir: Path) -> list[tuple[str, dict[str, Outcome]]]:
    rows = []
    profiles = fake_profiles()
    for label, profile, extra in ROWS:
        KNOWN_SERVERS.forget()
        with FakeOpenAI(profile=profiles[profile], chunk_delay=0.002) as server:
            settings = load_settings(
                _env_file=None,
                llm_base_url=server.base_url,
                data_dir=data_dir,
                **extra,
            )
            rows.append((label, await run_row(settings, lambda s=server: len(s.chat_requests))))
    return rows


def print_table(rows: list[tuple[str, dict[str, Outcome]]]) -> None:
    width = max(len(label) for label, _ in rows) + 2
    cells = {name: max(len(o[name].cell()) for _, o in rows) + 2 for name in TASKS}
    print("server".ljust(width) + "".join(n.ljust(cells[n]) for n in TASKS))
    for label, outcomes in rows:
        line = label.ljust(width)
        line += "".join(outcomes[n].cell().ljust(cells[n]) for n in TASKS)
        print(line.rstrip())
    print("\nc = LLM calls (HTTP requests, refused ones included), s = wall seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="a real OpenAI-compatible server instead of fakes")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--api-key")
    parser.add_argument("--system-role", default="auto")
    parser.add_argument("--structured-mode", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="articlebot-compat-") as tmp:
        if args.base_url:
            settings = load_settings(
                _env_file=None,
                llm_base_url=args.base_url,
                llm_model=args.model,
                llm_api_key=args.api_key,
                llm_system_role=args.system_role,
                llm_structured_mode=args.structured_mode,
                data_dir=Path(tmp),
            )
            rows = [(args.base_url, asyncio.run(run_row(settings, None)))]
        else:
            rows = asyncio.run(run_fakes(Path(tmp)))
    print_table(rows)


if __name__ == "__main__":
    main()
