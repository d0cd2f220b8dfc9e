"""One evaluated question: what was asked, what came back, and its scores (the JSON report rows)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.analysis.models import Quote
from bot.domain.usage import Usage


class QuestionRecord(BaseModel):
    article_id: str
    question_id: str
    question: str
    answers: list[str]
    is_impossible: bool
    gold_paragraph: int | None  # 1-based
    article_tokens: int  # sum of the article's paragraph tokens

    engine: str | None = None
    answer: str = ""
    answerable: bool = False
    supported: bool = False
    quotes: list[Quote] = Field(default_factory=list)  # verified quotes only
    dropped_quotes: int = 0  # quotes the engine returned that failed verification
    context_paragraphs: list[int] = Field(default_factory=list)
    context_tokens: int = 0  # article tokens sent with the question
    gold_in_context: bool | None = None

    # Answerable questions only (None otherwise).
    exact_match: float | None = None  # answer text as written
    f1: float | None = None  # answer text as written
    best_quote_f1: float | None = None  # max over verified quotes
    contains_gold: float | None = None

    # The offline engine's support score for its answer (None for the LLM): the eval's
    # trade-off table re-decides every question at other cut-offs from it.
    support: float | None = None

    usage: Usage = Field(default_factory=Usage)
    latency_ms: float = 0.0
    error: str | None = None  # the user-facing message when the engine call failed
