""" "What is the name of…", "which company…": the answer is a name, not a phrase near it."""

from __future__ import annotations

import pytest

from bot.analysis.offline import offline_answer
from bot.analysis.offline.questions import AnswerType, answer_type
from bot.domain.article import Article

_FERRY = [
    "After a vote in every school, pupils chose Northern Star as the name of the new ferry.",
    "Harland Marine, the company that built the terminal, is based in Belfast.",
]


@pytest.mark.parametrize(
    "question",
    [
        "What is the name of the new ferry?",
        "What were the names of the ships?",
        "Which company will build the terminal?",
        "What party did the mayor join?",
    ],
)
def test_questions_that_ask_for_a_name_expect_one(question: str) -> None:
    assert answer_type(question) is AnswerType.NAME


@pytest.mark.parametrize(
    "question", ["What is the ferry made of?", "Which route will the ferry take?"]
)
def test_other_what_questions_expect_any_phrase(question: str) -> None:
    assert answer_type(question) is AnswerType.ANY


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("What is the name of the new ferry?", "Northern Star"),
        ("Which company built the terminal?", "Harland Marine"),
    ],
)
def test_the_answer_is_the_name(question: str, name: str) -> None:
    # Read as any phrase, these gave "pupils chose Northern Star" and "based in Belfast".
    answer = offline_answer(Article.build(_FERRY, title="Ferry"), question)
    assert answer.answerable and answer.answer == name, answer.answer
    assert any(name in q.text for q in answer.quotes)
