"""`articlebot stats`: feedback (👍/👎) and LLM usage per Slack channel and per week.

Reads the bot's store (DATABASE_URL, or the data directory's SQLite file); needs no Slack or LLM.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.config import Settings
from bot.store.feedback_ledger import WeekStats
from bot.store.store import Store

_HEADER = ("week of", "channel", "👍", "👎", "requests", "LLM calls", "tokens in", "tokens out")


def add_stats_parser(sub: Any) -> None:
    stats = sub.add_parser("stats", help="feedback and usage per Slack channel and week")
    stats.add_argument("--json", action="store_true", help="print one JSON document")
    stats.add_argument("--team", help="only this Slack workspace (team ID)")


def _as_json(week: WeekStats) -> dict[str, Any]:
    return {
        "week": week.week.isoformat(),
        "channel": week.channel,
        "good": week.good,
        "bad": week.bad,
        "requests": week.requests,
        "calls": week.calls,
        "prompt_tokens": week.prompt_tokens,
        "completion_tokens": week.completion_tokens,
    }


def render_table(weeks: list[WeekStats]) -> str:
    if not weeks:
        return "No feedback or Slack usage recorded yet."
    rows = [_HEADER] + [
        (
            w.week.isoformat(),
            w.channel,
            str(w.good),
            str(w.bad),
            str(w.requests),
            str(w.calls),
            str(w.prompt_tokens),
            str(w.completion_tokens),
        )
        for w in weeks
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    return "\n".join(
        "  ".join(
            cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        for row in rows
    )


async def cmd_stats(settings: Settings, args: argparse.Namespace) -> None:
    async with await Store.open(settings.resolved_database_url) as store:
        weeks = await store.weekly_stats(team=args.team)
    if args.json:
        print(json.dumps({"weeks": [_as_json(w) for w in weeks]}, ensure_ascii=False))
    else:
        print(render_table(weeks))
