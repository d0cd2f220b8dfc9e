"""The evaluator end to end with the real LLM client against the fake OpenAI server.

Scripted replies play a good model, then one flaw at a time (a wrong answer, a fabricated quote,
a wrong refusal, an answered near miss, a failed call); each run is compared with the good one
and every metric must move the way it should, and only those metrics.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.analysis.analyzer import Analyzer
from bot.eval.dataset import EvalArticle, parse_dataset
from bot.eval.question_record import QuestionRecord
from bot.eval.runner import run_questions
from bot.eval.scoring import Metrics, compute_metrics
from bot.llm.client import LLMClient
from bot.tokens import count_tokens
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.test_eval_units import tidal_data

BOATS = "The association, which represents 63 boats, has said it will ask the Marine Management Organisation to review the licence."  # noqa: E501
AGAINST = "The two councillors who voted against the pilot, Gwen Pryce and Tomasz Nowak, both argued that the council had moved too quickly."  # noqa: E501
FABRICATED = "The association said every one of its boats would be paid compensation"
IDS = ["tidal-a05", "tidal-a08", "tidal-u01"]  # 63 boats (¶6), who voted against (¶9), mayor pay
USAGE = (1_000, 50, 400)  # prompt, completion, cached tokens per call
PRICES = {
    "llm_price_input_per_mtok": 1.0,
    "llm_price_cached_input_per_mtok": 0.5,
    "llm_price_output_per_mtok": 2.0,
}


def reply(quotes: list[tuple[str, int]], answerable: bool, answer: str) -> Reply:
    content = {
        "quotes": [{"text": t, "paragraph": p} for t, p in quotes],
        "answerable": answerable,
        "answer": answer,
    }
    return Reply(content=content, usage=USAGE)


GOOD = {
    "tidal-a05": reply([(BOATS, 6)], True, "63 boats"),
    "tidal-a08": reply([(AGAINST, 9)], True, "Gwen Pryce and Tomasz Nowak"),
    "tidal-u01": reply([], False, "The article doesn't say."),
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def dataset() -> list[EvalArticle]:
    (article,) = tidal_data()
    article["questions"] = [q for q in article["questions"] if q["id"] in IDS]
    return parse_dataset([article])


@pytest.fixture
async def evaluate(make_settings, fake: FakeOpenAI, dataset) -> AsyncIterator:
    """Run the dataset with the given replies (in question order); returns records and metrics."""
    settings = make_settings(llm_base_url=fake.base_url, llm_api_key="sk-test-key", **PRICES)
    llm = LLMClient(settings.llm)
    analyzer = Analyzer(settings.analysis, llm=llm)

    async def run(replies: dict[str, Reply]) -> tuple[dict[str, QuestionRecord], Metrics]:
        fake.script_for("answer", *(replies[q] for q in IDS))
        records = await run_questions(analyzer, dataset, engine="llm", concurrency=1)
        return {r.question_id: r for r in records}, compute_metrics(records, settings)

    yield run
    await llm.aclose()


async def test_a_good_model_scores_full_marks(evaluate) -> None:
    records, m = await evaluate(GOOD)
    assert m.engines == ["llm"] and m.questions == 3 and m.failed == 0
    assert m.answers.exact_match == 1.0 and m.answers.f1 == 1.0 and m.answers.contains_gold == 1.0
    # the best quote is a whole sentence: F1 against the short gold is partial (answer-as-written
    # F1 is the one for a model that answers tersely)
    assert 0 < m.answers.best_quote_f1 < 1
    assert m.abstention.declined_impossible == 1.0 and m.abstention.refused_answerable == 0.0
    assert m.grounding.quotes_returned == 2 and m.grounding.verified_share == 1.0
    assert m.grounding.unsupported == 0 and m.grounding.claimed_answerable == 2
    # three calls of 1,000 prompt tokens (400 cached) and 50 completion tokens
    assert (m.cost.calls, m.cost.prompt_tokens, m.cost.cached_tokens) == (3, 3_000, 1_200)
    assert m.cost.completion_tokens == 150 and m.cost.priced
    assert m.cost.estimated_usd == pytest.approx(3 * (600 * 1.0 + 400 * 0.5 + 50 * 2.0) / 1e6)
    assert m.cost.latency_median_ms > 0 and m.cost.latency_p95_ms >= m.cost.latency_median_ms
    assert BOATS.startswith(records["tidal-a05"].quotes[0].text)  # verified (final stop trimmed)


async def test_a_wrong_answer_lowers_em_and_f1_only(evaluate) -> None:
    _, good = await evaluate(GOOD)
    wrong = {**GOOD, "tidal-a08": reply([(AGAINST, 9)], True, "Helen Okafor, Moira Keane")}
    records, m = await evaluate(wrong)
    assert records["tidal-a08"].exact_match == 0.0 and records["tidal-a08"].f1 == pytest.approx(0)
    assert m.answers.exact_match == 0.5 and m.answers.f1 == pytest.approx(0.5)
    assert m.answers.contains_gold == 0.5
    assert m.answers.best_quote_f1 == good.answers.best_quote_f1  # same verified quotes
    assert m.grounding == good.grounding and m.abstention == good.abstention


async def test_a_fabricated_quote_is_dropped_and_the_answer_flagged(evaluate) -> None:
    _, good = await evaluate(GOOD)
    fabricated = {**GOOD, "tidal-a05": reply([(FABRICATED, 6)], True, "63 boats")}
    records, m = await evaluate(fabricated)
    record = records["tidal-a05"]
    assert record.quotes == [] and record.dropped_quotes == 1 and not record.supported
    assert m.grounding.quotes_returned == good.grounding.quotes_returned == 2
    assert m.grounding.quotes_verified == 1 and m.grounding.verified_share == 0.5
    assert m.grounding.unsupported == 1 and m.grounding.unsupported_share == 0.5
    assert m.answers.best_quote_f1 < good.answers.best_quote_f1
    assert m.answers.exact_match == 1.0  # the answer text itself was right


async def test_a_wrong_refusal_counts(evaluate) -> None:
    refusal = {**GOOD, "tidal-a08": reply([], False, "The article doesn't say who voted.")}
    records, m = await evaluate(refusal)
    assert not records["tidal-a08"].answerable
    assert m.abstention.refused_answerable == 0.5 and m.abstention.declined_impossible == 1.0
    assert m.answers.exact_match == 0.5 and m.grounding.claimed_answerable == 1


async def test_answering_a_near_miss_counts(evaluate) -> None:
    near_miss = {**GOOD, "tidal-u01": reply([], True, "She earned £250,000 a year.")}
    records, m = await evaluate(near_miss)
    assert m.abstention.declined_impossible == 0.0 and m.abstention.refused_answerable == 0.0
    # claimed answerable without a quote: also unsupported; impossible questions get no EM/F1
    assert m.grounding.unsupported == 1 and records["tidal-u01"].f1 is None
    assert m.answers.answerable == 2 and m.answers.exact_match == 1.0


async def test_a_failed_call_is_recorded_and_left_out(evaluate) -> None:
    failing = {**GOOD, "tidal-a08": Reply(status=400, error_message="bad request")}
    records, m = await evaluate(failing)
    assert records["tidal-a08"].error and records["tidal-a08"].engine is None
    assert m.failed == 1 and m.answers.answerable == 1 and m.cost.calls == 2
    assert m.answers.exact_match == 1.0


async def test_context_measured_is_the_context_sent(make_settings, fake: FakeOpenAI, dataset):
    """With a small budget the paragraphs recorded, and their tokens, are those in the prompt."""
    settings = make_settings(
        llm_base_url=fake.base_url, llm_api_key="sk-test-key", qa_context_tokens=200
    )
    async with LLMClient(settings.llm) as llm:
        before = len(fake.chat_requests)
        records = await run_questions(Analyzer(settings.analysis, llm=llm), dataset, engine="llm")
    sent = fake.chat_requests[before:]
    assert len(sent) == len(records) == 3
    paragraphs = dataset[0].article().paragraphs
    for record in records:
        (request,) = [r for r in sent if record.question in json.dumps(r.json, ensure_ascii=False)]
        user = request.json["messages"][-1]["content"]
        numbers = [int(n) for n in re.findall(r"^\[(\d+)\] ", user, re.MULTILINE)]
        assert numbers == record.context_paragraphs and len(numbers) < len(paragraphs)
        assert record.context_tokens == sum(count_tokens(paragraphs[n - 1]) for n in numbers)
        assert record.context_tokens <= 200
    m = compute_metrics(records, settings)
    assert m.retrieval.mean_share_sent < 0.3
