"""Asking every dataset question through the real pipeline (`Analyzer.answer`) and scoring it.

The same prompts, token budget, retrieval and quote verification as the bot: the evaluator only
builds the Article from the dataset's paragraph spans and measures what comes back. Latency is
per question, wall clock, so with `concurrency` > the LLM client's own limit it includes waiting
for a slot.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.analysis.analyzer import Analyzer
from bot.analysis.models import AnswerResult, EngineName
from bot.analysis.offline.answer import support_for
from bot.domain.article import Article
from bot.errors import ArticlebotError
from bot.eval.dataset import EvalArticle, EvalQuestion
from bot.eval.question_record import QuestionRecord
from bot.eval.scoring import contains_gold, exact_match, token_f1
from bot.tokens import count_tokens

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class _Item:
    order: tuple[int, int]  # (article, question) position in the dataset
    entry: EvalArticle
    question: EvalQuestion


def select(articles: Sequence[EvalArticle], limit: int | None) -> list[_Item]:
    """Questions to run: all, or `limit` of them taken round-robin across articles.

    Round-robin (every article's first question, then every second one...) so a small, cheap run
    still covers many articles, short and long, instead of the first one or two.
    """
    per_article = [
        [_Item((a, q), entry, question) for q, question in enumerate(entry.questions)]
        for a, entry in enumerate(articles)
    ]
    rounds = itertools.zip_longest(*per_article)
    picked = [item for row in rounds for item in row if item is not None]
    if limit is not None:
        picked = picked[:limit]
    return sorted(picked, key=lambda item: item.order)


def score(record: QuestionRecord, result: AnswerResult, sizes: Sequence[int]) -> None:
    """Fill `record` from the engine's result (answer scores only for answerable questions)."""
    answer = result.answer
    record.engine = result.engine
    record.answer = answer.answer
    record.answerable = answer.answerable
    record.supported = answer.supported
    record.quotes = list(answer.quotes)
    record.dropped_quotes = result.dropped_quotes
    record.usage = result.usage
    record.context_paragraphs = list(result.context_paragraphs)
    record.context_tokens = sum(sizes[n - 1] for n in record.context_paragraphs)
    if record.gold_paragraph is not None:
        record.gold_in_context = record.gold_paragraph in record.context_paragraphs
    if not record.is_impossible:
        golds = record.answers
        record.exact_match = exact_match(answer.answer, golds)
        record.f1 = token_f1(answer.answer, golds)
        record.best_quote_f1 = max((token_f1(q.text, golds) for q in answer.quotes), default=0.0)
        record.contains_gold = contains_gold(answer.answer, golds)


class _Prepared:
    """An Article built once per dataset article, with its paragraph token counts."""

    def __init__(self, entry: EvalArticle) -> None:
        self.article: Article = entry.article()
        self.sizes = [count_tokens(p) for p in self.article.paragraphs]


async def run_questions(
    analyzer: Analyzer,
    articles: Sequence[EvalArticle],
    *,
    engine: EngineName | None = None,
    limit: int | None = None,
    concurrency: int = 1,
    progress: ProgressFn | None = None,
) -> list[QuestionRecord]:
    """Answer the selected questions, `concurrency` at a time; records in dataset order."""
    items = select(articles, limit)
    prepared: dict[str, _Prepared] = {}
    for item in items:
        if item.entry.id not in prepared:
            prepared[item.entry.id] = _Prepared(item.entry)
    slots = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(item: _Item) -> QuestionRecord:
        nonlocal done
        ready = prepared[item.entry.id]
        record = QuestionRecord(
            article_id=item.entry.id,
            question_id=item.question.id,
            question=item.question.q,
            answers=item.question.answers,
            is_impossible=item.question.is_impossible,
            gold_paragraph=item.question.gold_paragraph,
            article_tokens=sum(ready.sizes),
        )
        async with slots:
            start = time.perf_counter()
            try:
                result = await analyzer.answer(ready.article, item.question.q, engine=engine)
            except ArticlebotError as exc:  # one failed call doesn't end the run
                record.error = exc.user_message
            else:
                score(record, result, ready.sizes)
            record.latency_ms = (time.perf_counter() - start) * 1000
        if record.engine == "offline":
            record.support = support_for(
                ready.article, item.question.q, paragraphs=record.context_paragraphs
            )
        done += 1
        if progress is not None:
            progress(done, len(items))
        return record

    return list(await asyncio.gather(*(one(item) for item in items)))
