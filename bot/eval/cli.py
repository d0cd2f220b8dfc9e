"""The `articlebot eval` subcommand: arguments, and running a dataset or the red-team set."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.analysis.analyzer import Analyzer
from bot.analysis.models import EngineName
from bot.errors import ArticlebotError, BadInput
from bot.eval.dataset import load_dataset
from bot.eval.plot import PlotUnavailable, plot_tradeoff
from bot.eval.redteam import default_redteam_path, load_redteam, run_redteam
from bot.eval.report import (
    format_redteam_table,
    format_table,
    redteam_document,
    report_document,
    write_report,
)
from bot.eval.runner import run_questions
from bot.eval.scoring import Metrics, compute_metrics
from bot.progress import Progress
from bot.runtime import Runtime


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def add_eval_parser(sub: Any) -> None:
    cmd = sub.add_parser(
        "eval",
        help="measure answer quality on a question set, or run the red-team set",
        description="Ask every question of DATASET through the real pipeline and score the "
        "answers; --redteam runs articles with planted instructions instead.",
    )
    cmd.add_argument("dataset", nargs="?", help="question set (JSON, see the README)")
    cmd.add_argument(
        "--engine",
        choices=["auto", "llm", "offline"],
        default="auto",
        help="auto: the LLM when configured, else offline",
    )
    cmd.add_argument(
        "--limit", type=_positive, help="at most N questions, round-robin across articles"
    )
    cmd.add_argument(
        "--concurrency", type=_positive, default=4, help="questions in flight (default 4)"
    )
    cmd.add_argument("--report", metavar="PATH", help="write every per-question result as JSON")
    cmd.add_argument(
        "--plot",
        metavar="PNG",
        help="draw the offline engine's abstention trade-off (needs the 'plot' extra)",
    )
    cmd.add_argument(
        "--redteam",
        action="store_true",
        help="run the planted-instruction articles (DATASET defaults to eval/redteam.json)",
    )


def _plot(metrics: Metrics, path: Path, *, dataset: str) -> None:
    """Write the trade-off PNG, or say why not; the table is already printed either way."""
    if not metrics.tradeoff:
        print("\nNo plot: the trade-off is measured for the offline engine (--engine offline).")
        return
    try:
        plot_tradeoff(metrics.tradeoff, path, title=f"articlebot offline engine · {dataset}")
    except PlotUnavailable as exc:
        print(f"\nNo plot: {exc}.")
        return
    print(f"\nTrade-off plot: {path}")


async def cmd_eval(runtime: Runtime, args: argparse.Namespace, progress: Progress) -> None:
    # No store: a cached summary would hide what the model does now.
    analyzer = Analyzer(runtime.settings.analysis, llm=runtime.llm)
    engine: EngineName | None = None if args.engine == "auto" else args.engine

    def tick(done: int, of: int) -> None:
        progress.step(f"Evaluating {done}/{of}")

    document: dict[str, Any]
    if args.redteam:
        path = Path(args.dataset) if args.dataset else default_redteam_path()
        rset = load_redteam(path)
        progress.step("Evaluating")
        records = await run_redteam(
            analyzer, rset, engine=engine, limit=args.limit,
            concurrency=args.concurrency, progress=tick,
        )  # fmt: skip
        progress.clear()
        print(format_redteam_table(records, dataset=path.name))
        document = redteam_document(records, dataset=path.name, settings=runtime.settings)
        errors, total = [r.error for r in records if r.error], len(records)
    else:
        if not args.dataset:
            raise BadInput("eval needs a DATASET file (or --redteam).")
        path = Path(args.dataset)
        articles = load_dataset(path)
        progress.step("Evaluating")
        questions = await run_questions(
            analyzer, articles, engine=engine, limit=args.limit,
            concurrency=args.concurrency, progress=tick,
        )  # fmt: skip
        progress.clear()
        metrics = compute_metrics(questions, runtime.settings)
        print(format_table(metrics, dataset=path.name))
        if getattr(args, "plot", None):
            _plot(metrics, Path(args.plot), dataset=path.name)
        options = {"engine": args.engine, "limit": args.limit, "concurrency": args.concurrency}
        document = report_document(
            metrics, questions, dataset=path.name, settings=runtime.settings, options=options
        )
        errors, total = [r.error for r in questions if r.error], len(questions)
    if args.report:
        write_report(Path(args.report), document)
        print(f"\nFull results: {args.report}")
    if errors and len(errors) == total:  # nothing was measured: the run itself failed
        raise ArticlebotError(f"every evaluation call failed: {errors[0]}")
