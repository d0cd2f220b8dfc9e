"""The Slack fault matrix: one request per (fault, where it strikes), and what the user saw.

Shared by tests/slack/test_slack_faults.py (which asserts the properties) and bench/chaos.py
(which prints the outcomes). A case injects its fault at the wire into the fake Slack, sends
one request through the real bot, waits until the bot has nothing left to do, and reads the
thread as a user would.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, Literal

from bot.slack import messages
from tests.fakes.openai_server import Reply
from tests.fakes.slack.events import TEAM_ID
from tests.fakes.slack.faults import AUTH_CODES, NO_ACCESS_CODES, TRANSIENT, Expect, expected
from tests.fakes.slack.store import Message
from tests.slack.harness import CHANNEL, BotHarness, is_summary, shown

Flow = Literal["summary", "answer"]
Outcome = Literal[
    "reply", "apology", "quiet_stop", "something_went_wrong", "stuck_placeholder", "silence"
]

# Settings for a bot under the matrix: one retry per call, short waits (affordable on 2 cores).
MATRIX_SETTINGS: dict[str, Any] = {
    "slack_max_retries": 1,
    "slack_retry_base_seconds": 0.01,
    "slack_requeue_base_seconds": 0.2,
    "slack_user_quota_per_hour": 0,  # one user sends every request of the matrix
}
CALL_ATTEMPTS = 1 + int(MATRIX_SETTINGS["slack_max_retries"])
# Each faulted call fails for good this many times in a row: enough to break progress, the
# final edit, and (chat.postMessage) the final post, so the job must be requeued.
FAILING_CALLS = 4

SUMMARY_SITES = ("reactions.add", "chat.postMessage", "chat.update", "reactions.remove")
ANSWER_SITES = ("chat.startStream", "chat.appendStream", "chat.stopStream")
EVERY_METHOD = (
    "reactions.add",
    "reactions.remove",
    "chat.postMessage",
    "chat.update",
    "chat.delete",
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
)
QUESTION = "What does the developer pay for?"
# Long enough to be streamed in several chat.appendStream calls (120-character buffer).
ANSWER = (
    "The developer pays into a community fund every year, according to the council, and the "
    "fund is spent on the harbour, on training for local people who want to work on the "
    "turbines, and on a small grant scheme for fishermen whose grounds are affected by the "
    "construction. The mayor said the fund would be reviewed after five years, and the "
    "developer agreed to publish what it pays each year so that residents can check it."
)
PLACEHOLDERS = ("Reading the article", "Reading http", "Summarising")


@dataclass(frozen=True)
class Case:
    fault: str
    site: str  # the Web API method that fails, or "every method" (no access, bad token)
    flow: Flow

    @property
    def id(self) -> str:
        where = f"{self.flow} (every method)" if self.site == "every method" else self.site
        return f"{self.fault}@{where}"

    @property
    def expect(self) -> Expect:
        return expected(self.fault)

    @property
    def failing_calls(self) -> int:
        if self.fault == "msg_too_long":
            # Slack refuses the one message that is too long: the final edit of a summary
            # (after two progress edits), or the stream call carrying the text.
            return 3 if self.site == "chat.update" else 1
        return FAILING_CALLS * CALL_ATTEMPTS


def flow_of(site: str) -> Flow:
    return "answer" if site in ANSWER_SITES else "summary"


def matrix() -> list[Case]:
    """Every transient fault at every call site; msg_too_long where text goes; no access and
    bad tokens on every method (as Slack would answer them) in both flows."""
    cases = [Case(f, s, flow_of(s)) for f in TRANSIENT for s in SUMMARY_SITES + ANSWER_SITES]
    cases += [
        Case("msg_too_long", s, flow_of(s))
        for s in ("chat.postMessage", "chat.update", "chat.appendStream", "chat.stopStream")
    ]
    cases += [
        Case(code, "every method", flow)
        for code in NO_ACCESS_CODES + AUTH_CODES
        for flow in ("summary", "answer")
    ]
    return cases


@dataclass
class CaseResult:
    case: Case
    outcome: Outcome
    replies: list[Message]  # the bot's visible replies to this request (summary excluded)
    fault_hit: bool  # the faulted method really answered with the fault
    turns: int  # how many times the question was recorded as a turn (answers)
    unfinished: int  # jobs still pending or running once the bot went idle
    seconds: float


def outcome_of(replies: list[Message], flow: Flow) -> Outcome:
    texts = [shown(r) for r in replies]
    if any(messages.INTERNAL_ERROR[:30] in t for t in texts):
        return "something_went_wrong"
    if any(messages.SLACK_TROUBLE[:30] in t for t in texts):
        return "apology"
    if any(any(p in r.text for p in PLACEHOLDERS) for r in replies):
        return "stuck_placeholder"
    if not replies:
        return "quiet_stop"
    done = (
        any(is_summary(r) for r in replies)
        if flow == "summary"
        else any("community fund" in t for t in texts)
    )
    return "reply" if done else "silence"


async def summarised(h: BotHarness) -> str:
    message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
    await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
    await h.wait_idle()
    return message.ts


def _fault_hit(h: BotHarness, case: Case, since: int) -> bool:
    sites = EVERY_METHOD if case.site == "every method" else (case.site,)
    return any(c.method in sites and (c.status != 200 or not c.ok) for c in h.slack.calls[since:])


async def run_case(h: BotHarness, case: Case, timeout: float = 30) -> CaseResult:
    """Run one case on a running bot (a fresh thread); the fake is clean again afterwards."""
    thread_ts = await summarised(h) if case.flow == "answer" else None
    if case.flow == "answer":
        assert h.llm is not None, "answers need the fake LLM"
        content = {"quotes": [], "answerable": True, "answer": ANSWER}
        h.llm.script_for("answer", Reply(content=content))
    since = len(h.slack.calls)
    for method in EVERY_METHOD if case.site == "every method" else (case.site,):
        h.slack.inject_fault(method, case.fault, times=case.failing_calls, retry_after=0)
    started = time.monotonic()
    try:
        if thread_ts is None:
            message, _ = await h.mention(f"<{h.web.url('/tidal')}>")
            thread_ts = message.ts
        else:
            await h.say(QUESTION, thread_ts=thread_ts)
        await h.wait_idle(timeout=timeout)
        if case.expect == "quiet_stop":
            # Never retried in a loop: nothing more happens after a requeue delay or two.
            await asyncio.sleep(2 * MATRIX_SETTINGS["slack_requeue_base_seconds"])
            await h.wait_idle(timeout=timeout)
        seconds = time.monotonic() - started
    finally:
        with h.slack.web_api._lock:
            h.slack.web_api._injected.clear()
    replies = h.replies(thread_ts)
    if case.flow == "answer":
        replies = [r for r in replies if not is_summary(r)]
    assert h.bot is not None
    store = h.bot.ctx.store
    turns = await store.get_turns(CHANNEL, thread_ts, team=TEAM_ID, limit=50)
    return CaseResult(
        case=case,
        outcome=outcome_of(replies, case.flow),
        replies=replies,
        fault_hit=_fault_hit(h, case, since),
        turns=sum(1 for t in turns if t.question == QUESTION),
        unfinished=len(await store.unfinished_jobs()),
        seconds=seconds,
    )


def duplicates(replies: list[Message]) -> int:
    """Replies showing exactly what another reply shows."""
    seen = [json.dumps([r.text, r.blocks], sort_keys=True) for r in replies]
    return len(seen) - len(set(seen))
