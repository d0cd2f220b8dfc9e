"""Results of analysis, as users (CLI JSON, Slack renderer) see them.

Every quote in these models has been verified against the article by `bot.analysis.quotes`;
the LLM-facing schemas (what we ask the model to return) live in `bot.analysis.schemas`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from bot.domain.usage import Usage

EngineName = Literal["llm", "offline"]
ActorKind = Literal["person", "organisation", "country", "other"]


class Quote(BaseModel):
    """A verbatim span of the article and the paragraph (1-based) it occurs in."""

    text: str
    paragraph: int


class Bullet(BaseModel):
    text: str
    paragraphs: list[int] = Field(default_factory=list)


class Summary(BaseModel):
    tldr: str
    bullets: list[Bullet]


class Actor(BaseModel):
    name: str
    kind: ActorKind = "other"
    role: str = ""
    did: str = ""
    quotes: list[Quote] = Field(default_factory=list)


class Answer(BaseModel):
    """A grounded answer.

    `answerable` is the model's (or offline engine's) claim that the article answers the question;
    `supported` is our check: answerable and at least one quote verified.
    """

    answer: str
    answerable: bool
    supported: bool
    quotes: list[Quote] = Field(default_factory=list)


class SummaryResult(BaseModel):
    summary: Summary
    actors: list[Actor]
    engine: EngineName
    usage: Usage = Field(default_factory=Usage)
    dropped_quotes: int = 0
    # Share of the article the summary is based on, and a note when it is not all of it.
    coverage: float = 1.0
    notice: str | None = None
    # True when the LLM failed and (part of) this result comes from the offline engine.
    fallback: bool = False


class AnswerResult(BaseModel):
    answer: Answer
    engine: EngineName
    usage: Usage = Field(default_factory=Usage)
    dropped_quotes: int = 0
    # 1-based paragraphs that were sent to the engine as context for this question.
    context_paragraphs: list[int] = Field(default_factory=list)
    notice: str | None = None
    # True when the LLM failed and this answer comes from the offline engine.
    fallback: bool = False


@dataclass(frozen=True)
class AnswerDelta:
    """A piece of answer text that is safe to show now (quoted spans already verified)."""

    text: str


@dataclass(frozen=True)
class AnswerDone:
    """The final answer. `restarted` means the streamed text so far was abandoned (the LLM
    failed mid-stream) and `result` comes from the fallback engine instead."""

    result: AnswerResult
    restarted: bool = False


AnswerEvent = AnswerDelta | AnswerDone
