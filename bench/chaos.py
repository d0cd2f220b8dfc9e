"""The Slack fault matrix: each Web API fault, where it strikes, in Socket Mode and HTTP mode.

For every case (tests/slack/fault_matrix.py) the real bot, in-process, gets one request
through the fake Slack with the fault injected at the wire, and this prints what the user
ended up with: `reply` (the one final reply), `apology`, `quiet_stop` (no access or a dead
token: nothing can be posted, the stop is logged), or a defect (`something_went_wrong`,
`stuck_placeholder`, `silence`); how many replies, duplicates, recorded turns, Slack retries
and job requeues it took, and the seconds from request to idle. Retries use the matrix's
short delays (one retry per call, Retry-After 0): the figures compare cases, they are not
production latencies. Target: 0 defects. Then, unless `--recovery-rounds 0`, it runs
`bench/recovery.py`: kill -9 of a real `articlebot run` mid-job, restart, and the time until the
job is taken over (median of 5; target <= 5 s) and the processes the killed bot left (target 0).

    .venv/bin/python bench/chaos.py [--mode socket|http|both] [--only SUBSTRING]
                                    [--recovery-rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from prometheus_client import REGISTRY

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.slack.fault_matrix import (  # noqa: E402
    MATRIX_SETTINGS,
    CaseResult,
    duplicates,
    matrix,
    run_case,
)
from tests.slack.harness import running_bot  # noqa: E402

GOOD = {"reply", "quiet_stop"}


def counter_total(name: str) -> float:
    return sum(
        s.value
        for metric in REGISTRY.collect()
        if metric.name == name
        for s in metric.samples
        if s.name.endswith("_total")
    )


async def run_mode(mode: str, only: str) -> list[tuple[CaseResult, float, float]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        async with running_bot(Path(tmp), mode, **MATRIX_SETTINGS) as h:  # type: ignore[arg-type]
            for case in matrix():
                if only not in case.id:
                    continue
                retries = counter_total("articlebot_slack_retries")
                requeues = counter_total("articlebot_job_requeues")
                result = await run_case(h, case)
                rows.append(
                    (
                        result,
                        counter_total("articlebot_slack_retries") - retries,
                        counter_total("articlebot_job_requeues") - requeues,
                    )
                )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["socket", "http", "both"], default="both")
    parser.add_argument("--only", default="", help="run the cases whose id contains this")
    parser.add_argument(
        "--recovery-rounds", type=int, default=5, help="kill -9 rounds after the matrix (0: none)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    modes = ["socket", "http"] if args.mode == "both" else [args.mode]
    print(
        f"{'fault @ site':44} {'mode':6} {'expect':10} {'outcome':20} "
        f"{'replies':>7} {'dup':>3} {'turns':>5} {'retries':>7} {'requeues':>8} {'s':>5}"
    )
    outcomes: collections.Counter[str] = collections.Counter()
    defects = 0
    seconds: list[float] = []
    for mode in modes:
        for result, retries, requeues in asyncio.run(run_mode(mode, args.only)):
            case = result.case
            ok = result.outcome == case.expect and duplicates(result.replies) == 0
            if case.expect == "reply" and case.fault != "msg_too_long":
                ok = ok and len(result.replies) == 1
            if case.flow == "answer" and case.expect == "reply":
                ok = ok and result.turns == 1
            defects += not ok
            outcomes[result.outcome] += 1
            seconds.append(result.seconds)
            turns = str(result.turns) if case.flow == "answer" else "-"
            print(
                f"{case.id:44} {mode:6} {case.expect:10} "
                f"{result.outcome + ('' if ok else ' (!)'):20} {len(result.replies):>7} "
                f"{duplicates(result.replies):>3} {turns:>5} {retries:>7.0f} {requeues:>8.0f} "
                f"{result.seconds:>5.2f}"
            )
    print()
    print(f"cases: {len(seconds)}; outcomes: {dict(outcomes)}")
    if seconds:
        print(f"seconds per case: median {statistics.median(seconds):.2f}, max {max(seconds):.2f}")
    print(f"defects (silence, stuck placeholder, needless error, duplicate, lost turn): {defects}")
    if args.recovery_rounds > 0:
        print()
        recovery = [str(REPO / "bench" / "recovery.py"), "--rounds", str(args.recovery_rounds)]
        subprocess.run([sys.executable, *recovery], check=True)
    return 1 if defects else 0


if __name__ == "__main__":
    raise SystemExit(main())
