"""The quoted clause of an offline answer: a verbatim slice that holds the answer and ties it to
the question, on every answered question of the public SQuAD sets (no list of expected clauses)."""

from __future__ import annotations

import json
import re

import pytest

from bot.analysis.offline.answer import assess, offline_answer
from bot.analysis.offline.clauses import MIN_CLAUSE_WORDS, answer_clause
from bot.analysis.offline.features import question_terms
from bot.analysis.offline.sentence_index import match_keys
from bot.analysis.offline.spans import Span
from bot.domain.article import Article
from tests.shared_data import QA_DIR, requires_shared

pytestmark = requires_shared


def _entries(name: str) -> list[dict]:
    data: list[dict] = json.loads((QA_DIR / name).read_text(encoding="utf-8"))
    return data


def _article(entry: dict) -> Article:
    return Article.build([entry["context"][a:b] for a, b in entry["paragraphs"]])


@pytest.mark.parametrize("name", ["squad20-dev-tune-small.json", "squad11-dev-articles-small.json"])
def test_the_clause_holds_the_span_and_a_question_word_or_is_the_sentence(name) -> None:
    clauses = shorter = 0
    for entry in _entries(name):
        article = _article(entry)
        for q in entry["questions"]:
            found = assess(article, q["q"])
            if found is None or found.span is None:
                continue
            sentence = found.sentences[0].text
            keys = question_terms(q["q"]).keys
            clause = answer_clause(sentence, found.span, keys)
            clauses += 1
            assert clause in sentence and found.span.text in clause, q["q"]
            assert clause == clause.strip() and clause
            if clause != sentence:
                shorter += 1
                assert len(clause.split()) >= MIN_CLAUSE_WORDS, (clause, q["q"])
                assert keys & set(match_keys(clause)), (clause, q["q"])
    # Most answers sit in one clause of a longer sentence (measured: 118 of 143 and 346 of 447).
    assert clauses > 100 and shorter >= clauses // 2


def test_a_sentence_without_breaks_is_quoted_whole() -> None:
    sentence = "The harbour trust hired forty divers for the survey in spring."
    keys = question_terms("How many divers did the trust hire?").keys
    for start, end in ((24, 29), (0, 3), (55, 61)):
        span = Span(start, end, sentence[start:end], 1.0)
        assert answer_clause(sentence, span, keys) == sentence
    # With a break, the answer's clause alone when it has the words, else grown to them.
    sentence = "Divers were hired in spring, and the trust hired forty of them for the survey."
    span = Span(sentence.index("forty"), sentence.index("forty") + 5, "forty", 1.0)
    assert answer_clause(sentence, span, keys) == sentence[sentence.index("and") :]
    assert answer_clause(sentence, span, frozenset({"zebra"})) == sentence


def test_a_number_the_article_has_only_with_other_digits_is_not_mentioned() -> None:
    text = (
        "The port handled 4,222,000 containers in 2012, up from 3 million a decade earlier. "
        "Its 222 cranes work around the clock."
    )
    article = Article.build([text])
    said = offline_answer(article, "How many containers did the port handle in 2012?")
    assert said.answerable
    for number in ("3,222,000", "4,222,001", "5222000"):
        answer = offline_answer(article, f"In what year did the port handle {number} containers?")
        assert answer.answer == f"The article doesn't mention {number}.", number
    # Written with or without the thousands commas, the article's own number is found.
    for number in ("4,222,000", "4222000"):
        answer = offline_answer(article, f"In what year did the port handle {number} containers?")
        assert not answer.answer.startswith("The article doesn't mention"), number


@pytest.mark.parametrize("name", ["squad20-dev-tune-small.json", "squad11-dev-articles-small.json"])
def test_no_number_the_article_writes_is_ever_called_unmentioned(name) -> None:
    for entry in _entries(name)[:6]:
        article = _article(entry)
        for number in sorted(set(re.findall(r"\d(?:[\d,.]*\d)?", article.text)))[:15]:
            answer = offline_answer(article, f"What happened in {number}?")
            assert not answer.answer.startswith("The article doesn't mention"), number
