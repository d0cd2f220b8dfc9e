"""One flow per job kind: what the bot does once a request has been accepted."""

from __future__ import annotations

from bot.slack.flows.follow_up import run_answer
from bot.slack.flows.notice import run_notice
from bot.slack.flows.pane import run_channel_article, run_pane_start
from bot.slack.flows.private_summary import run_command, run_share
from bot.slack.flows.publish_home import run_home
from bot.slack.flows.summary import run_summary
from bot.slack.job_payloads import (
    AnswerPayload,
    ChannelArticlePayload,
    CommandPayload,
    HomePayload,
    NoticePayload,
    PaneStartPayload,
    SharePayload,
    SummaryPayload,
    typed_flow,
)
from bot.slack.jobs import Flow

# Each flow receives its job's payload model, validated from the stored JSON.
FLOWS: dict[str, Flow] = {
    "summary": typed_flow(SummaryPayload, run_summary),
    "answer": typed_flow(AnswerPayload, run_answer),
    "notice": typed_flow(NoticePayload, run_notice),
    "command": typed_flow(CommandPayload, run_command),
    "share": typed_flow(SharePayload, run_share),
    "pane_start": typed_flow(PaneStartPayload, run_pane_start),
    "channel_article": typed_flow(ChannelArticlePayload, run_channel_article),
    "home": typed_flow(HomePayload, run_home),
}
