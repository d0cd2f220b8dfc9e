"""Whole requests are admitted fairly: after one user's flood of mentions, another user's one
mention starts (its first Slack call) before most of the flood has started."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.openai_server import Reply
from tests.shared_data import REPO_ROOT
from tests.slack.harness import is_summary, running_bot

SAMPLE = (REPO_ROOT / "samples" / "tidal-pilot.md").read_text(encoding="utf-8")
FLOOD = 24
PER_USER = 3


def started_at(calls: list, ts: str) -> float:
    """When the job for the mention `ts` started: its first post in the thread (a waiting
    job shows only a reaction)."""
    return min(
        c.at for c in calls if c.method == "chat.postMessage" and c.params.get("thread_ts") == ts
    )


def reacted_at(calls: list, ts: str) -> float:
    return min(
        c.at for c in calls if c.method == "reactions.add" and c.params.get("timestamp") == ts
    )


async def test_a_single_mention_starts_ahead_of_another_users_flood(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path, slack_max_running_jobs_per_user=PER_USER, slack_user_quota_per_hour=0
    ) as h:
        assert h.llm is not None
        slow = [Reply(delay=0.5) for _ in range(FLOOD + 1)]  # each article its own summary
        h.llm.script_for("summary", *slow)
        h.llm.script_for("actors", *slow)
        for i in range(FLOOD + 1):
            h.web.add(f"/a/{i}", SAMPLE.replace("Port Ellery", f"Port Ellery {i}"),
                      content_type="text/markdown")  # fmt: skip
        flood = []
        for i in range(FLOOD):
            message, _ = await h.mention(f"<{h.web.url(f'/a/{i}')}>", user="U0FLOOD")
            flood.append(message)
        single, _ = await h.mention(f"<{h.web.url(f'/a/{FLOOD}')}>", user="U0SINGLE")
        await h.wait_replies(single.ts, lambda rs: any(map(is_summary, rs)), timeout=60)
        await h.wait_idle(timeout=120)
        calls = h.slack.calls
        started = started_at(calls, single.ts)
        ahead = [m for m in flood if started_at(calls, m.ts) < started]
        # The flood runs PER_USER at a time, the single mention at once: only the flood's jobs
        # started while it was being sent go first (first come, first served: all of them).
        assert len(ahead) < FLOOD // 2, f"{len(ahead)} of the flood started first"
        for message in flood:
            assert any(map(is_summary, h.replies(message.ts))), "the flood is answered too"
            # Heard at once: the flood's waiting mentions show the working sign before the
            # later, single mention even starts; the sign is gone once each is answered.
            assert reacted_at(calls, message.ts) < started
            assert not message.reactions
        assert h.bot is not None
        assert await h.bot.ctx.store.claim_next(worker="t", lease_s=5) is None
