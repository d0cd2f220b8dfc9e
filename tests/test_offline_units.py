"""Typed questions: "how far / how old / how much does it cost" wants a number in its unit,
"how many" counts its head noun, "where" a place it is at, and none of them gets a sentence
passed off as the answer when the passage holds nothing of the kind."""

from __future__ import annotations

import pytest

from bot.analysis.offline import offline_answer
from bot.analysis.offline.answer import HEDGED, untyped
from bot.analysis.offline.questions import AnswerType, read_question
from bot.analysis.offline.spans import best_span, question_keys
from bot.analysis.offline.units import Unit, wanted_units
from bot.domain.article import Article

_HARBOUR = [
    "The new ferry will carry 300 passengers and dock 400 metres from the old pier.",
    "The terminal will cost £12 million and employ 85 staff, the council said.",
    "Harbour master Ruth Amadi, aged 61, has run the port since 1998.",
]


@pytest.mark.parametrize(
    ("question", "units"),
    [
        ("How far from the pier is the dock?", (Unit.LENGTH,)),
        ("How wide is the channel?", (Unit.LENGTH,)),
        ("How long did the works last?", (Unit.DURATION, Unit.LENGTH)),
        ("How old is the harbour master?", (Unit.AGE,)),
        ("How much will the terminal cost?", (Unit.MONEY,)),
        ("How much money did the town raise?", (Unit.MONEY,)),
        ("How fast can the ferry sail?", (Unit.SPEED, Unit.LENGTH)),
        ("How much land did the port buy?", ()),  # a quantity, not a price
        ("How many staff will it employ?", ()),
    ],
)
def test_the_question_names_the_units_its_number_must_be_in(question: str, units: tuple) -> None:
    assert wanted_units(question.lower()) == units


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How far from the old pier will the ferry dock?", "400 metres"),
        ("How much will the terminal cost?", "£12 million"),
        ("How old is Ruth Amadi?", "aged 61"),
        ("How many passengers will the ferry carry?", "300"),
    ],
)
def test_the_answer_is_the_number_in_the_asked_unit_not_another(
    question: str, expected: str
) -> None:
    answer = offline_answer(Article.build(_HARBOUR, title="Harbour"), question)
    assert answer.answerable, answer.answer
    # The asked-for number, with its unit where one was asked for; never a neighbour's number.
    assert answer.answer in expected or expected in answer.answer, answer.answer
    assert any(expected in q.text for q in answer.quotes)


@pytest.mark.parametrize(
    ("sentence", "question", "span"),
    [
        ("A 200-metre channel will stay open.", "How wide is the channel?", "200-metre"),
        ("The works took twenty-five years.", "How long did the works take?", "twenty-five years"),
        ("The school is half a mile from the river.", "How far is the school?", "half a mile"),
        ("The theatre ran from 1870 to 1939.", "How long did the theatre run?", "1870 to 1939"),
        ("The fine was 6 million lira.", "How much was the company fined?", "6 million lira"),
        ("Boats sail at 30 miles per hour.", "How fast do boats sail?", "30 miles per hour"),
    ],
)
def test_the_span_carries_its_unit(sentence: str, question: str, span: str) -> None:
    found = best_span(sentence, question_keys(question), AnswerType.NUMBER, None, _units(question))
    assert found is not None and found.text == span


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("The pilot will place six turbines off the point.", "How far off the point are they?"),
        ("The survey took one team two seasons.", "How much did the survey cost?"),
        ("Okafor chaired 12 meetings this year.", "How old is Okafor?"),
    ],
)
def test_a_number_in_another_unit_is_no_answer(sentence: str, question: str) -> None:
    kind = AnswerType.NUMBER
    assert best_span(sentence, question_keys(question), kind, None, _units(question)) is None
    # ... while a bare number question would take it.
    assert best_span(sentence, question_keys(question), kind) is not None


def _units(question: str) -> tuple[Unit, ...]:
    return wanted_units(question.lower())


def test_how_far_back_asks_for_a_time_not_a_distance() -> None:
    assert wanted_units("how far back does the pharmacy date?") == ()
    assert wanted_units("how far does the pharmacy date back?") == ()


def test_an_age_may_be_given_before_the_number() -> None:
    question = "How old must a member be?"
    for sentence, span in [
        ("Members must be over the age of 18.", "18"),
        ("The member, aged 61, retired.", "61"),
        ("The member is 61 years old.", "61 years"),
    ]:
        found = best_span(
            sentence, question_keys(question), AnswerType.NUMBER, None, _units(question)
        )
        assert found is not None and found.text == span, sentence


@pytest.mark.parametrize(
    ("question", "counted"),
    [
        ("How many harbour porpoises live in the bay?", "porpoises"),
        ("How many turbines will the pilot place?", "turbines"),
        ("How many people live in the town?", "people"),
        ("How many times did the council meet?", "times"),
    ],
)
def test_how_many_counts_the_head_noun(question: str, counted: str) -> None:
    assert read_question(question).counted == counted


def test_a_typed_question_whose_passage_holds_nothing_of_its_kind_is_hedged() -> None:
    article = Article.build(
        [
            "The new ferry will carry passengers between the two harbours.",
            "Ferries will dock at the old pier once the terminal is finished.",
        ],
        title="Ferry",
    )
    for question in ("When will the new ferry carry passengers?", "How many ferries will dock?"):
        answer = offline_answer(article, question)
        if not answer.answerable:
            continue  # declined outright is honest too
        # Not a sentence passed off as the date or number asked for: said so, passage quoted.
        assert answer.answer.startswith(HEDGED) and "gives no" in answer.answer, answer.answer
        assert answer.quotes and all(
            q.text in article.paragraph(q.paragraph) for q in answer.quotes
        )
    # Where the passage holds one, it is the answer.
    dated = Article.build(["The new ferry will carry its first passengers in May."])
    answer = offline_answer(dated, "When will the new ferry carry passengers?")
    assert answer.answer == "May", answer.answer


def test_a_place_after_at_or_in_is_where_rather_than_what_about() -> None:
    sentence = "Ana Silva, a senior fellow on Brazil at Chatham House, said the talks had failed."
    question = "Where does Ana Silva work?"
    found = best_span(sentence, question_keys(question), AnswerType.PLACE)
    assert found is not None and found.text == "Chatham House"


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("When will the ferry sail?", "no date"),
        ("Who will captain the ferry?", "no name"),
        ("How many ferries will sail?", "no number of ferries"),
        ("How fast does the ferry sail?", "no speed"),
        ("How long does the crossing take?", "no length of time"),
        ("How much did the ferry cost?", "no sum of money"),
    ],
)
def test_the_hedge_names_what_the_passage_lacks(question: str, missing: str) -> None:
    assert f"the closest passage gives {missing}." in untyped(read_question(question))
