"""`articlebot stats`: feedback and usage per channel and week, as text and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.config import load_settings
from bot.domain.usage import CallRecord, Usage
from bot.store.store import Store


def _stats(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "DATABASE_"))}
    env |= {"DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "stats", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_stats_sum_feedback_and_usage_per_channel(tmp_path: Path) -> None:
    settings = load_settings(_env_file=None, data_dir=tmp_path / "data")
    async with await Store.open(settings.resolved_database_url) as store:
        for job, (channel, value) in enumerate([("C1", "good"), ("C1", "bad"), ("C2", "good")]):
            await store.record_feedback(
                job_id=job, kind="summary", team="T1", channel=channel, user="U1", value=value
            )
        usage = Usage(calls=2, prompt_tokens=1000, completion_tokens=200)
        for channel in ("C1", "C1", "C2"):
            record = CallRecord(task="summary", model="m", usage=usage, latency_ms=5, mode="job")
            await store.record_usage(record, team="T1", channel=channel, user="U1")
        await store.record_usage(record)  # a CLI call: no channel, not in Slack's figures

    done = _stats(tmp_path, "--json")
    assert done.returncode == 0, done.stderr
    weeks = {w["channel"]: w for w in json.loads(done.stdout)["weeks"]}
    assert set(weeks) == {"C1", "C2"}
    assert (weeks["C1"]["good"], weeks["C1"]["bad"], weeks["C1"]["requests"]) == (1, 1, 2)
    assert weeks["C1"]["prompt_tokens"] == 2000 and weeks["C2"]["completion_tokens"] == 200
    assert weeks["C1"]["week"] == weeks["C2"]["week"]

    table = _stats(tmp_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert "👍" in lines[0] and len(lines) == 3
    assert _stats(tmp_path, "--team", "T9", "--json").stdout.strip() == '{"weeks": []}'
