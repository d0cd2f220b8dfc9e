"""What we ask the model to return (JSON schemas via pydantic).

These are the model's claims, not yet trusted: quotes here are candidates until
`bot.analysis.quotes` verifies them, and paragraph numbers may point nowhere. The class
docstrings and field descriptions go into the JSON schema the model sees.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class QuoteClaim(BaseModel):
    """A verbatim span copied from the article."""

    text: str = Field(description="Exact words copied from the article, no paraphrase.")
    paragraph: int = Field(description="Number of the paragraph the words come from.")


class BulletClaim(BaseModel):
    text: str = Field(description="One key point, one sentence.")
    paragraphs: list[int] = Field(description="Numbers of the paragraphs that support the point.")


class SummaryOut(BaseModel):
    """A summary of the article."""

    tldr: str = Field(description="One-line summary of the whole article.")
    bullets: list[BulletClaim] = Field(description="3 to 7 key points in article order.")


class ActorClaim(BaseModel):
    name: str = Field(description="Name as written in the article.")
    kind: Literal["person", "organisation", "country", "other"]
    role: str = Field(description="Who they are, as the article describes them.")
    did: str = Field(description="What they said or did in the article, one or two sentences.")
    quotes: list[QuoteClaim] = Field(description="Up to 2 short verbatim quotes about or by them.")


class ActorsOut(BaseModel):
    """The key actors of the article: people, organisations, countries."""

    actors: list[ActorClaim]


class AnswerOut(BaseModel):
    """A grounded answer to a question about the article."""

    quotes: list[QuoteClaim] = Field(
        description="Verbatim passages that support the answer; empty if the article doesn't say."
    )
    answerable: bool = Field(description="True only if the article itself answers the question.")
    answer: str = Field(description="The answer, in the language of the question.")


class ChunkNotesOut(BaseModel):
    """Notes on one part of a long article (the map step of map-reduce)."""

    points: list[BulletClaim] = Field(description="The key points of this part.")
    actors: list[ActorClaim] = Field(description="Key actors appearing in this part.")
