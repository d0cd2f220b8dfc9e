"""`articlebot purge`: delete stored content on demand (an operator's tool).

    articlebot purge [--team T] [--channel C] [--older-than 30d] [--dry-run]

At least one of the three selections is required. `--dry-run` prints what would be deleted.
The bot's own sweeper does `--older-than DATA_RETENTION_DAYS` every hour.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.errors import BadInput
from bot.store.retention import Purge
from bot.store.store import Store

_AGE = re.compile(r"^\s*(\d+)\s*([dhm]?)\s*$")
_UNITS = {"d": "days", "": "days", "h": "hours", "m": "minutes"}


def parse_age(text: str) -> timedelta:
    """`30d`, `12h`, `90m` or a bare number of days."""
    found = _AGE.match(text)
    if found is None or int(found.group(1)) == 0:
        raise BadInput(f"--older-than {text!r}: give a positive age such as 30d, 12h or 90m.")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def add_purge_parser(sub: Any) -> None:
    cmd = sub.add_parser(
        "purge",
        help="delete stored content by workspace, channel or age",
        description="Delete threads, questions and answers, pasted texts, finished requests "
        "and cached results. Usage totals are kept.",
    )
    cmd.add_argument("--team", help="Slack workspace id (T...)")
    cmd.add_argument("--channel", help="Slack channel id (C..., D..., G...)")
    cmd.add_argument("--older-than", dest="older_than", help="age, e.g. 30d, 12h, 90m")
    cmd.add_argument("--dry-run", action="store_true", help="count, delete nothing")


def selection(now: datetime, args: argparse.Namespace) -> Purge:
    if not (args.team or args.channel or args.older_than):
        raise BadInput("purge needs --team, --channel or --older-than (or several).")
    before = now - parse_age(args.older_than) if args.older_than else None
    return Purge(before=before, team=args.team or None, channel=args.channel or None)


async def cmd_purge(settings: Settings, args: argparse.Namespace) -> None:
    store = await Store.open(settings.resolved_database_url)
    try:
        purge = selection(store.now(), args)
        counts = await store.purge(purge, dry_run=args.dry_run)
    finally:
        await store.close()
    verb = "would delete" if args.dry_run else "deleted"
    width = max(len(name) for name in counts)
    for name, rows in counts.items():
        print(f"{name:<{width}}  {rows:>8}")
    total = sum(counts.values())
    print(f"{verb} {total} row(s)" + (" (dry run: nothing was deleted)" if args.dry_run else ""))
