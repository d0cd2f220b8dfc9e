"""What each kind of Slack job carries: one model per kind, built at intake, stored as JSON.

Intake parses the Slack message once and records the result; the flow that runs the job gets
its model back (`typed_flow`), so no flow reads a dict by key or parses the message again.
A resumed job is validated from the stored JSON the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from bot.slack.context import SlackContext
from bot.slack.jobs import Flow
from bot.slack.markup import ParsedMessage, parse_message
from bot.slack.replies import ThreadReply
from bot.store.records import Job

JobKind = Literal[
    "summary", "answer", "notice", "command", "share", "pane_start", "channel_article", "home"
]


# Requests that do not count against SLACK_USER_QUOTA_PER_HOUR: replies that need no article,
# opening the Home tab or the pane, sharing a summary already made.
UNMETERED_KINDS: tuple[str, ...] = ("notice", "home", "pane_start", "share")


class JobPayload(BaseModel):
    """Fields every job keeps: the message as Slack sent it, for the record."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str = ""
    # The request came from Slack's assistant pane: progress shows as its status, not a message.
    pane: bool = False


class SummaryPayload(JobPayload):
    """A message with an article in it: links, pasted text or shared files."""

    kind: Literal["summary"] = "summary"
    files: list[dict[str, Any]] = Field(default_factory=list)  # as `events.file_summary` keeps
    urls: list[str] = Field(default_factory=list)
    pasted_text: str | None = None
    note: str = ""  # what the user asked for besides the article ("summarise in French")
    switch: bool = False  # a new article in a thread that already had one

    @model_validator(mode="before")
    @classmethod
    def _parse_legacy(cls, data: Any, info: ValidationInfo) -> Any:
        """Jobs recorded before payloads were typed hold only the raw text: parse it once here.

        Drop this after every deployment has finished its jobs recorded the old way.
        """
        if isinstance(data, dict) and "urls" not in data and "pasted_text" not in data:
            context = info.context if isinstance(info.context, dict) else {}
            parsed = parse_message(
                str(data.get("text") or ""), min_pasted_words=context.get("min_pasted_words", 60)
            )
            data = {**data, **cls.parsed_fields(parsed)}
        return data

    @staticmethod
    def parsed_fields(parsed: ParsedMessage) -> dict[str, Any]:
        return {"urls": parsed.urls, "pasted_text": parsed.pasted_text, "note": parsed.note}

    @property
    def message(self) -> ParsedMessage:
        return ParsedMessage(urls=list(self.urls), pasted_text=self.pasted_text, note=self.note)


class AnswerPayload(JobPayload):
    """A follow-up question in a thread the bot owns."""

    kind: Literal["answer"] = "answer"
    question: str  # the message without mentions
    # A DM question outside any article's thread: the thread whose article it is about (the
    # DM's latest), and how many articles the DM has (more than one: the reply says which).
    article_thread: str | None = None
    articles_in_conversation: int = 1


class NoticePayload(JobPayload):
    """A short reply that needs no article: help, or a refusal."""

    kind: Literal["notice"] = "notice"
    message: str
    refusal: bool = False


class CommandPayload(JobPayload):
    """`/articlebot <link or text>`: a summary only the requester sees, with a Share button."""

    kind: Literal["command"] = "command"
    urls: list[str] = Field(default_factory=list)
    pasted_text: str | None = None
    note: str = ""
    response_url: str  # where the ephemeral replies go (Slack's one-off webhook)

    def as_summary(self) -> SummaryPayload:
        return SummaryPayload(
            text=self.text, urls=self.urls, pasted_text=self.pasted_text, note=self.note
        )


class SharePayload(JobPayload):
    """ "Share in channel" on a command's summary: post it as a thread people can follow up in."""

    kind: Literal["share"] = "share"
    command_job: int
    response_url: str  # to tell the sharer how it went


class PaneStartPayload(JobPayload):
    """The user opened the assistant pane: a greeting and suggested prompts."""

    kind: Literal["pane_start"] = "pane_start"
    context_channel: str | None = None


class ChannelArticlePayload(JobPayload):
    """In the pane: "summarise the last article shared in this channel" (the one viewed)."""

    kind: Literal["channel_article"] = "channel_article"


class HomePayload(JobPayload):
    """The person opened the App Home tab: publish their view."""

    kind: Literal["home"] = "home"


AnyPayload = SummaryPayload | AnswerPayload | NoticePayload | ChannelArticlePayload
P = TypeVar("P", bound=JobPayload)
TypedFlow = Callable[[SlackContext, Job, ThreadReply, P], Awaitable[None]]


def payload_of(ctx: SlackContext, job: Job, model: type[P]) -> P:
    """The job's stored payload as its model."""
    context = {"min_pasted_words": ctx.settings.min_pasted_words}
    return model.model_validate(job.payload, context=context)


def typed_flow(model: type[P], flow: TypedFlow[P]) -> Flow:
    """Adapt a flow that takes its payload model to the runner's (ctx, job, reply) shape."""

    async def run(ctx: SlackContext, job: Job, reply: ThreadReply) -> None:
        await flow(ctx, job, reply, payload_of(ctx, job, model))

    return run
