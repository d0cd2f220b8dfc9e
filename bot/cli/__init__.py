"""`articlebot`: the same pipeline as the Slack bot, from the terminal.

    articlebot summarize SOURCE [--json]
    articlebot ask SOURCE QUESTION [--json]
    articlebot chat SOURCE
    articlebot eval DATASET [--engine E] [--limit N] [--concurrency K] [--report PATH]
    articlebot eval --redteam [--engine E] [--report PATH]
    articlebot run [--http [--port N]]
    articlebot stats [--json] [--team T]
    articlebot purge [--team T] [--channel C] [--older-than 30d] [--dry-run]

SOURCE is a URL, a file (html, txt, md, pdf) or `-` for stdin. Exit status: 0 on success,
2 when the source cannot be read as an article, 1 for any other failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot.analysis.models import (
    AnswerDelta,
    AnswerDone,
    AnswerResult,
    EngineName,
    SummaryResult,
)
from bot.cli import output
from bot.cli.purge import add_purge_parser, cmd_purge
from bot.cli.stats import add_stats_parser, cmd_stats
from bot.config import Settings, SettingsError, load_settings
from bot.domain.article import Article
from bot.domain.turn import Turn
from bot.errors import ArticlebotError, BadInput
from bot.eval.cli import add_eval_parser, cmd_eval
from bot.logs import configure_logging
from bot.progress import Progress
from bot.runtime import Runtime

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
RESTARTED = "the language model broke off; the offline engine's answer follows"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="articlebot", description="Summaries and grounded answers for articles."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and usage")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("source", help="URL, file (html, txt, md, pdf) or - for stdin")
        cmd.add_argument(
            "--engine",
            choices=["auto", "llm", "offline"],
            default="auto",
            help="auto: the LLM when configured, else offline",
        )
        return cmd

    add("summarize", "summary and key actors").add_argument(
        "--json", action="store_true", help="print one JSON document"
    )
    ask = add("ask", "answer one question about the article")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON document")
    add("chat", "ask follow-up questions interactively, like a Slack thread")
    add_eval_parser(sub)
    add_purge_parser(sub)
    run = sub.add_parser("run", help="run the Slack bot (Socket Mode, or --http)")
    run.add_argument("--http", action="store_true", help="serve the Events API over HTTP")
    run.add_argument("--host", default="0.0.0.0", help="HTTP mode: address to listen on")
    run.add_argument("--port", type=int, default=3000, help="HTTP mode: port (default 3000)")
    add_stats_parser(sub)
    return parser


async def load_source(runtime: Runtime, source: str, progress: Progress) -> Article:
    if source == "-":
        progress.step("Reading stdin")
        return await runtime.loader.load_bytes(sys.stdin.buffer.read(), name="stdin")
    if source.lower().startswith(("http://", "https://")):
        progress.step(f"Fetching {source}")
        return await runtime.loader.load_url(source)
    path = Path(source)
    if not path.is_file():
        raise BadInput(f"No such file, and not an http(s) URL: {source}")
    progress.step(f"Reading {path.name}")
    return await runtime.loader.load_path(path)


def _engine(args: argparse.Namespace) -> EngineName | None:
    return None if args.engine == "auto" else args.engine


def _fallback(args: argparse.Namespace) -> bool:
    """`--engine auto` falls back to the offline engine when the LLM fails; `llm` does not."""
    return bool(args.engine == "auto")


def _note_fallback(result: SummaryResult | AnswerResult) -> None:
    """Say on stderr that (part of) the result is the offline engine's, and why."""
    if result.fallback and result.notice:
        print(f"articlebot: note: {result.notice}", file=sys.stderr)


async def cmd_summarize(runtime: Runtime, args: argparse.Namespace, progress: Progress) -> None:
    article = await load_source(runtime, args.source, progress)
    progress.step("Summarising")
    result = await runtime.analyzer.summarize(
        article, engine=_engine(args), fallback=_fallback(args)
    )
    progress.clear()
    _note_fallback(result)
    if args.json:
        print(json.dumps(output.summary_json(article, result), ensure_ascii=False, indent=2))
    else:
        print(output.summary_text(article, result))


async def _answer(
    runtime: Runtime,
    article: Article,
    question: str,
    turns: list[Turn],
    args: argparse.Namespace,
    progress: Progress,
    *,
    stream: bool,
) -> Turn:
    progress.step("Answering")
    async for event in runtime.analyzer.answer_stream(
        article, question, turns=turns, engine=_engine(args), fallback=_fallback(args)
    ):
        if isinstance(event, AnswerDelta) and stream:
            progress.clear()
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif isinstance(event, AnswerDone):
            progress.clear()
            result = event.result
            if event.restarted and stream:  # the LLM broke off mid-answer: start over
                sys.stdout.write(f"\n[{RESTARTED}]\n{result.answer.answer}")
    _note_fallback(result)
    if stream:
        footer = output.answer_footer(result)
        print(f"\n{footer}" if footer else "")
    else:
        print(json.dumps(output.answer_json(result), ensure_ascii=False, indent=2))
    return Turn(question=question, answer=result.answer.answer)


async def cmd_ask(runtime: Runtime, args: argparse.Namespace, progress: Progress) -> None:
    article = await load_source(runtime, args.source, progress)
    await _answer(runtime, article, args.question, [], args, progress, stream=not args.json)


async def cmd_chat(runtime: Runtime, args: argparse.Namespace, progress: Progress) -> None:
    article = await load_source(runtime, args.source, progress)
    progress.step("Summarising")
    result = await runtime.analyzer.summarize(
        article, engine=_engine(args), fallback=_fallback(args)
    )
    progress.clear()
    _note_fallback(result)
    print(output.summary_text(article, result))
    print("\nAsk a question about the article (empty line or Ctrl-D to quit).")
    turns: list[Turn] = []
    while True:
        try:
            question = (await asyncio.to_thread(input, "\n> ")).strip()
        except EOFError:
            break
        if not question or question.lower() in {"exit", "quit"}:
            break
        try:
            turns.append(
                await _answer(runtime, article, question, turns, args, progress, stream=True)
            )
        except ArticlebotError as exc:  # one failed question doesn't end the conversation
            progress.clear()
            print(f"articlebot: {exc.user_message}", file=sys.stderr)


COMMANDS: dict[
    str, Callable[[Runtime, argparse.Namespace, Progress], Coroutine[Any, Any, None]]
] = {
    "summarize": cmd_summarize,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "eval": cmd_eval,
}


async def _run(settings: Settings, args: argparse.Namespace) -> None:
    if args.command == "run":
        from bot.slack.app import run_until_stopped  # Slack stack only when serving

        await run_until_stopped(settings, http=args.http, host=args.host, port=args.port)
        return
    if args.command == "stats":
        await cmd_stats(settings, args)
        return
    if args.command == "purge":
        await cmd_purge(settings, args)
        return
    use_llm = {"auto": None, "llm": True, "offline": False}[args.engine]
    if use_llm and not settings.llm_configured:
        raise BadInput("--engine llm needs an LLM: set LLM_API_KEY or LLM_BASE_URL.")
    runtime = await Runtime.start(settings, use_llm=use_llm)
    try:
        await COMMANDS[args.command](runtime, args, Progress())
    finally:
        await runtime.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(logging.INFO if args.verbose else logging.ERROR)
    try:
        settings = load_settings()
        level: str | int = logging.INFO if args.verbose else logging.ERROR
        if args.command == "run":
            level = logging.DEBUG if args.verbose else settings.log_level
        configure_logging(level, secrets=settings.secret_values())
        asyncio.run(_run(settings, args))
    except SettingsError as exc:
        print(f"articlebot: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BadInput as exc:
        print(f"articlebot: {exc.user_message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ArticlebotError as exc:
        print(f"articlebot: {exc.user_message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `articlebot ... | head`: the reader left; that's not our failure
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    return EXIT_OK
