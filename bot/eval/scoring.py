"""Scoring: SQuAD's answer metrics, and the aggregates the eval table shows.

`normalize_answer`, `exact_match` and `token_f1` follow the official SQuAD v1.1 evaluation script
(lower case, punctuation and the articles a/an/the removed, whitespace collapsed; the best score
over the gold answers), so figures are comparable with published ones.
"""

from __future__ import annotations

import math
import re
import statistics
import string
from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from bot.analysis.offline.abstain import MIN_SUPPORT, TRADEOFF_CUTOFFS
from bot.config import Settings
from bot.eval.question_record import QuestionRecord

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)
# Articles longer than this are where retrieval matters (shorter ones are sent whole).
LONG_ARTICLE_TOKENS = 4_000


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Iterable[str]) -> float:
    guess = normalize_answer(prediction)
    return float(any(guess == normalize_answer(g) for g in golds))


def _f1(prediction: str, gold: str) -> float:
    guess, truth = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(guess) & Counter(truth)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(guess), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Iterable[str]) -> float:
    return max((_f1(prediction, g) for g in golds), default=0.0)


def contains_gold(prediction: str, golds: Iterable[str]) -> float:
    """1 if a (normalised) gold answer occurs in the prediction: fair to sentence answers."""
    guess = f" {normalize_answer(prediction)} "
    return float(any(f" {normalize_answer(g)} " in guess for g in golds if normalize_answer(g)))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


class Retrieval(BaseModel):
    questions: int  # questions the averages are over (tokens: all; recall: answerable)
    answerable: int
    gold_recall: float | None  # share of answerable questions whose gold paragraph was sent
    mean_tokens_sent: float | None
    mean_share_sent: float | None  # tokens sent / the article's tokens, averaged per question


class Answers(BaseModel):
    answerable: int
    exact_match: float | None  # the answer text as written, against the gold answers
    f1: float | None  # token F1 of the answer text as written
    best_quote_f1: float | None  # the best verified quote's F1: fairer to extractive answers
    contains_gold: float | None  # a gold answer occurs in the answer text


class Abstention(BaseModel):
    impossible: int
    declined_impossible: float | None  # right: "not in the article" on an unanswerable question
    refused_answerable: float | None  # wrong: "not in the article" when it is


class TradeoffPoint(BaseModel):
    """The offline engine re-decided at one cut-off on its support score."""

    cutoff: float
    declined_impossible: float | None
    refused_answerable: float | None
    default: bool  # the engine's own operating point (MIN_SUPPORT)


class Grounding(BaseModel):
    quotes_returned: int  # verified + dropped
    quotes_verified: int
    quotes_dropped: int
    verified_share: float | None
    claimed_answerable: int
    unsupported: int  # claimed answerable without a verified quote
    unsupported_share: float | None


class Cost(BaseModel):
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    estimated_usd: float
    priced: bool  # False when no LLM_PRICE_* is set: the estimate is meaningless
    latency_median_ms: float | None
    latency_p95_ms: float | None


class Metrics(BaseModel):
    engines: list[str]
    articles: int
    questions: int
    failed: int  # questions whose engine call failed; left out of every other figure
    retrieval: Retrieval
    retrieval_long: Retrieval  # articles over LONG_ARTICLE_TOKENS tokens
    answers: Answers
    abstention: Abstention
    grounding: Grounding
    cost: Cost
    # Offline engine only (empty otherwise): declined vs refused at several cut-offs.
    tradeoff: list[TradeoffPoint] = []


def retrieval(records: Sequence[QuestionRecord]) -> Retrieval:
    gold = [r for r in records if not r.is_impossible and r.gold_in_context is not None]
    return Retrieval(
        questions=len(records),
        answerable=len(gold),
        gold_recall=_mean([float(bool(r.gold_in_context)) for r in gold]),
        mean_tokens_sent=_mean([r.context_tokens for r in records]),
        mean_share_sent=_mean([r.context_tokens / r.article_tokens for r in records]),
    )


def _answers(answerable: Sequence[QuestionRecord]) -> Answers:
    return Answers(
        answerable=len(answerable),
        exact_match=_mean([r.exact_match or 0.0 for r in answerable]),
        f1=_mean([r.f1 or 0.0 for r in answerable]),
        best_quote_f1=_mean([r.best_quote_f1 or 0.0 for r in answerable]),
        contains_gold=_mean([r.contains_gold or 0.0 for r in answerable]),
    )


def _grounding(records: Sequence[QuestionRecord]) -> Grounding:
    verified = sum(len(r.quotes) for r in records)
    dropped = sum(r.dropped_quotes for r in records)
    claimed = [r for r in records if r.answerable]
    unsupported = sum(not r.supported for r in claimed)
    return Grounding(
        quotes_returned=verified + dropped,
        quotes_verified=verified,
        quotes_dropped=dropped,
        verified_share=verified / (verified + dropped) if verified + dropped else None,
        claimed_answerable=len(claimed),
        unsupported=unsupported,
        unsupported_share=unsupported / len(claimed) if claimed else None,
    )


def _cost(records: Sequence[QuestionRecord], settings: Settings) -> Cost:
    prompt = sum(r.usage.prompt_tokens for r in records)
    cached = sum(r.usage.cached_tokens for r in records)
    completion = sum(r.usage.completion_tokens for r in records)
    usd = (
        (prompt - cached) * settings.llm_price_input_per_mtok
        + cached * settings.llm_price_cached_input_per_mtok
        + completion * settings.llm_price_output_per_mtok
    ) / 1e6
    prices = (
        settings.llm_price_input_per_mtok,
        settings.llm_price_cached_input_per_mtok,
        settings.llm_price_output_per_mtok,
    )
    latencies = [r.latency_ms for r in records]
    return Cost(
        calls=sum(r.usage.calls for r in records),
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=cached,
        estimated_usd=usd,
        priced=any(p > 0 for p in prices),
        latency_median_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
    )


def tradeoff(
    records: Sequence[QuestionRecord], cutoffs: Sequence[float] = TRADEOFF_CUTOFFS
) -> list[TradeoffPoint]:
    """Declined-unanswerable against wrongly-refused-answerable at each cut-off; empty unless
    every record has the offline engine's support score."""
    if not records or any(r.support is None for r in records):
        return []
    impossible = [r.support or 0.0 for r in records if r.is_impossible]
    answerable = [r.support or 0.0 for r in records if not r.is_impossible]
    points = sorted({*cutoffs, MIN_SUPPORT})
    return [
        TradeoffPoint(
            cutoff=c,
            declined_impossible=_mean([float(s < c) for s in impossible]),
            refused_answerable=_mean([float(s < c) for s in answerable]),
            default=c == MIN_SUPPORT,
        )
        for c in points
    ]


def compute_metrics(records: Sequence[QuestionRecord], settings: Settings) -> Metrics:
    done = [r for r in records if r.error is None]
    answerable = [r for r in done if not r.is_impossible]
    impossible = [r for r in done if r.is_impossible]
    return Metrics(
        engines=sorted({r.engine for r in done if r.engine}),
        articles=len({r.article_id for r in records}),
        questions=len(records),
        failed=len(records) - len(done),
        retrieval=retrieval(done),
        retrieval_long=retrieval([r for r in done if r.article_tokens > LONG_ARTICLE_TOKENS]),
        answers=_answers(answerable),
        abstention=Abstention(
            impossible=len(impossible),
            declined_impossible=_mean([float(not r.answerable) for r in impossible]),
            refused_answerable=_mean([float(not r.answerable) for r in answerable]),
        ),
        grounding=_grounding(done),
        cost=_cost(done, settings),
        tradeoff=tradeoff(done),
    )
