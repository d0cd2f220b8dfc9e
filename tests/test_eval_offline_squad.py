"""The offline engine on public SQuAD 2.0 questions: properties of its answers and abstention.

No list of which questions must be declined: rates over the tuning-small set (with margins
below what the engine measures, so a small change doesn't flip them but a broken signal does),
and properties every answer must have whatever the question.
"""

from __future__ import annotations

import itertools
import json

import pytest

from bot.analysis.analyzer import Analyzer
from bot.analysis.offline.abstain import MIN_SUPPORT
from bot.analysis.offline.answer import HEDGED as HEDGE
from bot.analysis.offline.answer import offline_answer
from bot.eval.dataset import EvalArticle, load_dataset
from bot.eval.question_record import QuestionRecord
from bot.eval.runner import run_questions
from bot.eval.scoring import Metrics, compute_metrics
from tests.shared_data import QA_DIR, requires_shared

pytestmark = requires_shared
SMALL = QA_DIR / "squad20-dev-tune-small.json"


@pytest.fixture(scope="module")
def articles() -> list[EvalArticle]:
    return load_dataset(SMALL)


@pytest.fixture
async def offline_run(articles, make_settings) -> tuple[list[QuestionRecord], Metrics]:
    settings = make_settings()
    records = await run_questions(
        Analyzer(settings.analysis), articles, engine="offline", concurrency=4
    )
    return records, compute_metrics(records, settings)


async def test_abstention_separates_the_two_kinds_of_question(offline_run) -> None:
    _, m = offline_run
    ab = m.abstention
    assert ab.impossible == 75 and ab.declined_impossible is not None
    assert ab.refused_answerable is not None
    # Measured 0.28 declined / 0.04 refused: far better than a coin that refuses at random.
    assert ab.declined_impossible >= 0.2
    assert ab.refused_answerable <= 0.12
    assert ab.declined_impossible >= 2 * ab.refused_answerable


async def test_answers_are_spans_and_quotes_are_verbatim(articles, offline_run) -> None:
    records, m = offline_run
    by_id = {a.id: a.article() for a in articles}
    for r in records:
        article = by_id[r.article_id]
        for quote in r.quotes:
            assert quote.text in article.paragraph(quote.paragraph), r.question_id
        if r.answerable and r.answer.startswith(HEDGE):  # the closest passage, whole
            assert r.quotes and r.quotes[0].text in article.paragraph(r.quotes[0].paragraph)
        elif r.answerable:
            assert r.quotes and r.answer.rstrip(".") in r.quotes[0].text, r.question_id
    assert m.grounding.quotes_dropped == 0 and m.grounding.unsupported == 0
    # Hedging is rare: most answers are spans.
    assert sum(r.answer.startswith(HEDGE) for r in records) <= 0.05 * len(records)
    # Spans, not sentences: answers are a few words (measured F1 ~0.4, sentences ~0.15); quotes
    # are the answer's clause (measured ~0.29; whole sentences gave ~0.23).
    assert m.answers.f1 is not None and m.answers.f1 >= 0.22
    assert m.answers.best_quote_f1 is not None and m.answers.best_quote_f1 >= 0.25


async def test_tradeoff_is_monotone_and_its_default_is_what_the_engine_did(offline_run) -> None:
    records, m = offline_run
    assert m.tradeoff and sum(p.default for p in m.tradeoff) == 1
    for low, high in itertools.pairwise(m.tradeoff):
        assert low.cutoff < high.cutoff
        assert high.declined_impossible >= low.declined_impossible
        assert high.refused_answerable >= low.refused_answerable
    (default,) = [p for p in m.tradeoff if p.default]
    assert default.cutoff == MIN_SUPPORT
    assert default.declined_impossible == m.abstention.declined_impossible
    assert default.refused_answerable == m.abstention.refused_answerable
    assert all(r.support is not None for r in records)


def test_a_name_the_article_never_mentions_is_declined_by_name(articles) -> None:
    # Made-up names (no article can mention them) in questions shaped like the real ones.
    questions = [
        "What did Quorvan Teldrick say about {topic}?",
        "When did Zephyrine Maltuck visit {topic}?",
        "How many people did Oskarov Brindlewood hire in {topic}?",
    ]
    for entry, template in zip(articles, itertools.cycle(questions), strict=False):
        article = entry.article()
        question = template.format(topic=entry.title.replace("_", " "))
        answer = offline_answer(article, question)
        assert not answer.answerable and not answer.quotes, question
        assert answer.answer.startswith("The article doesn't mention ")
        named = answer.answer.removeprefix("The article doesn't mention ").rstrip(".")
        for name in named.replace(" or ", ", ").split(", "):
            assert name in question and name.casefold() not in article.text.casefold()


def test_the_same_question_about_a_name_the_article_has_is_not_declined_for_it(articles) -> None:
    # The counterpart: a name that is in the article never triggers "doesn't mention".
    data = json.loads(SMALL.read_text(encoding="utf-8"))
    for entry in data:
        article = next(a for a in articles if a.id == entry["id"]).article()
        for q in entry["questions"]:
            answer = offline_answer(article, q["q"])
            if answer.answer.startswith("The article doesn't mention "):
                named = answer.answer.removeprefix("The article doesn't mention ").rstrip(".")
                for name in named.replace(" or ", ", ").split(", "):
                    assert name.casefold() not in article.text.casefold(), (name, q["q"])
