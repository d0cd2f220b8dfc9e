"""eval/tidal-questions.json: built on the bundled sample exactly as the bot reads it, and the
offline engine's baseline on it (deterministic: no LLM, so exact figures)."""

from __future__ import annotations

import re

import pytest

from bot.analysis.analyzer import Analyzer
from bot.analysis.offline.answer import HEDGED as HEDGE
from bot.eval.dataset import EvalArticle, load_dataset
from bot.eval.question_record import QuestionRecord
from bot.eval.runner import run_questions
from bot.eval.scoring import Metrics, compute_metrics
from bot.ingest.extract import extract_text
from bot.tokens import count_tokens
from tests.shared_data import SAMPLE_ARTICLE
from tests.test_eval_units import TIDAL


@pytest.fixture(scope="module")
def dataset() -> EvalArticle:
    (article,) = load_dataset(TIDAL)
    return article


def test_context_is_the_sample_article_as_the_bot_reads_it(dataset: EvalArticle) -> None:
    read = extract_text(SAMPLE_ARTICLE.read_text(encoding="utf-8"), kind="markdown")
    assert dataset.context == "\n\n".join(read.paragraphs)
    assert dataset.paragraph_texts() == list(read.paragraphs)
    assert dataset.article().paragraphs == read.paragraphs
    assert dataset.title == read.title


def test_questions_are_balanced_and_golds_are_verbatim(dataset: EvalArticle) -> None:
    answerable = [q for q in dataset.questions if not q.is_impossible]
    impossible = [q for q in dataset.questions if q.is_impossible]
    assert len(answerable) >= 10 and len(impossible) >= 10
    for q in answerable:
        paragraph = dataset.paragraph_texts()[q.para_idx]
        assert q.answers and all(a in paragraph for a in q.answers), q.id
    # near misses: each unanswerable question names someone or something the article mentions
    names = set(re.findall(r"\b[A-Z][a-z]+\b", dataset.context)) - {"The", "What", "How"}
    for q in impossible:
        assert names & set(re.findall(r"\b[A-Z][a-z]+\b", q.q)) or "turbine" in q.q, q.id


@pytest.fixture
async def offline_run(dataset: EvalArticle, make_settings) -> tuple[list[QuestionRecord], Metrics]:
    settings = make_settings()
    records = await run_questions(
        Analyzer(settings.analysis), [dataset], engine="offline", concurrency=3
    )
    return records, compute_metrics(records, settings)


async def test_offline_retrieval_sends_the_whole_short_article(dataset, offline_run) -> None:
    records, metrics = offline_run
    whole = sum(count_tokens(p) for p in dataset.article().paragraphs)
    assert whole < 1_500  # the default QA budget: the article is sent whole
    assert [r.question_id for r in records] == [q.id for q in dataset.questions]
    assert all(r.context_paragraphs == list(range(1, 14)) for r in records)
    assert metrics.retrieval.gold_recall == 1.0 and metrics.retrieval.mean_share_sent == 1.0
    assert metrics.retrieval.mean_tokens_sent == whole
    assert metrics.retrieval_long.questions == 0 and metrics.retrieval_long.gold_recall is None


async def test_offline_answers_are_spans_of_verbatim_quotes(dataset, offline_run) -> None:
    records, m = offline_run
    article = dataset.article()
    assert m.engines == ["offline"] and m.questions == 21 and m.failed == 0
    for r in records:
        for quote in r.quotes:  # every quote is the article's own text, in its paragraph
            assert quote.text in article.paragraph(quote.paragraph), r.question_id
        if r.answerable and r.answer.startswith(HEDGE):  # never mentions what is asked
            assert r.quotes, r.question_id
        elif r.answerable:
            assert r.quotes and r.answer.rstrip(".") in r.quotes[0].text, r.question_id  # its span
        else:
            assert not r.quotes and r.answer.startswith("The article doesn't")
    # Answers are the spans that answer (a number, a name, a date), not whole sentences.
    answered = [r for r in records if not r.is_impossible and r.answerable]
    assert sum(len(r.answer.split()) for r in answered) / len(answered) <= 6
    assert m.answers.f1 is not None and m.answers.f1 >= 0.5
    assert m.abstention.refused_answerable is not None and m.abstention.refused_answerable <= 0.1
    assert m.grounding.quotes_dropped == 0 and m.grounding.unsupported == 0
    assert m.cost.calls == 0 and m.cost.prompt_tokens == 0 and m.cost.estimated_usd == 0
    assert not m.cost.priced and m.cost.latency_median_ms is not None


async def test_a_small_budget_moves_retrieval(dataset: EvalArticle, make_settings) -> None:
    settings = make_settings(qa_context_tokens=200)
    records = await run_questions(Analyzer(settings.analysis), [dataset], engine="offline")
    m = compute_metrics(records, settings)
    assert all(0 < r.context_tokens <= 200 for r in records)
    assert m.retrieval.mean_share_sent < 0.3
    for r in records:
        assert r.gold_in_context == (r.gold_paragraph in r.context_paragraphs)
    missed = [r for r in records if not r.is_impossible and not r.gold_in_context]
    assert m.retrieval.gold_recall == pytest.approx(1 - len(missed) / 11)
