"""A conversation turn: what a thread remembers of each earlier question."""

from __future__ import annotations

from pydantic import BaseModel


class Turn(BaseModel):
    """One earlier question and answer in a conversation, used as context for follow-ups."""

    question: str
    answer: str
