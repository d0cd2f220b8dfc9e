"""One flow per job kind: what the bot does once a request has been accepted."""

from __future__ import annotations

from bot.slack.flows.answer import run_answer
from bot.slack.flows.notice import run_notice
from bot.slack.flows.summary import run_summary
from bot.slack.jobs import Flow

FLOWS: dict[str, Flow] = {"summary": run_summary, "answer": run_answer, "notice": run_notice}
