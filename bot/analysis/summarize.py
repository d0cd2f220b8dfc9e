"""Summary and key actors with the LLM, single pass or map-reduce for long articles.

Short articles: two calls in parallel (summary, actors) over the same prompt prefix, so servers
with prompt caching bill the article once. Articles over the context budget: notes per chunk of
paragraphs (map), a summary written from the notes (reduce), and actors merged by name in code.

When one of the two parallel calls fails, what happens to the other depends on why:
- a fault of the server (unreachable, 5xx, timeout, rate limit, malformed replies): the other call
  is cancelled at once and its HTTP connection closed. It would most likely fail the same way,
  and on a one-slot server (llama.cpp) it would keep generating for nobody while the offline
  fallback is already on its way;
- a fault of one reply (invalid JSON even after the repair, truncated, refused): the server
  works, so the other call runs on, and its valid half is kept. The outcome then says which half
  is missing (`summary_error` / `actors_error`) and the analyzer fills or notes the gap.
A half that had already succeeded is always kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.analysis import prompt_context
from bot.analysis.chunking import chunk_paragraphs
from bot.analysis.grounding import MAX_ACTORS, ground_actors, ground_bullets, ground_summary
from bot.analysis.models import Actor, Bullet, Summary
from bot.analysis.quotes import QuoteVerifier
from bot.analysis.schemas import ActorClaim, ActorsOut, ChunkNotesOut, SummaryOut
from bot.domain.article import Article
from bot.domain.usage import Usage
from bot.errors import LLMError, LLMInvalidOutput, LLMTruncated
from bot.llm.client import Completion, LLMClient
from bot.prompts import PromptLibrary

# Upper bound on map calls for one article; beyond it the summary covers the first part only
# (and says so). Keeps a book-length paste from costing a hundred calls.
MAX_MAP_CHUNKS = 12
# Tokens kept free in each map prompt for rounding differences between our count and the server's.
_MARGIN = 64

SUMMARY_TEMPLATES = ("system", "_article", "summary", "actors", "chunk_notes", "reduce_summary")
# Output each task may need, in tokens (capped by LLM_OUTPUT_RESERVE): asking for the whole
# reserve every time makes a small context window refuse prompts that would fit.
OUTPUT_TOKENS = {"summary": 1_200, "actors": 2_000, "chunk_notes": 1_500}
# Faults of one reply, not of the server: the sibling call is worth finishing.
REPLY_FAULTS = (LLMInvalidOutput, LLMTruncated)

# Receives the summary so far while it streams (TL;DR and key-point texts, no references).
PartialSink = Callable[[Summary], Awaitable[None]]
V = TypeVar("V")
W = TypeVar("W")


@dataclass
class SummaryOutcome:
    """`summary` is None when its call failed (`summary_error`); `actors_error` set means the
    actors list is empty because its call failed. Both None: a complete result."""

    summary: Summary | None
    actors: list[Actor]
    usage: Usage
    dropped_quotes: int
    coverage: float
    notice: str | None
    summary_error: LLMError | None = None
    actors_error: LLMError | None = None


async def first_failure_cancels(
    first: Awaitable[V], second: Awaitable[W]
) -> tuple[V | LLMError, W | LLMError]:
    """Run both; each result is its value or its LLMError (see the module docstring).

    A server fault in one cancels the other (its LLMError is then re-raised); a reply fault lets
    the other finish. Anything that is not an LLMError cancels both and propagates."""
    one, two = asyncio.ensure_future(first), asyncio.ensure_future(second)
    tasks: list[asyncio.Future[Any]] = [one, two]
    try:
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                error = task.exception()
                if error is not None and pending and not isinstance(error, REPLY_FAULTS):
                    raise error
        return _result(one), _result(two)
    finally:
        for task in tasks:
            task.cancel()  # no-op for finished ones; closes the HTTP response of a running one
        await asyncio.gather(*tasks, return_exceptions=True)


async def all_or_cancel(calls: list[Awaitable[V]]) -> list[V]:
    """All results, or the first failure, with every call still running cancelled (its HTTP
    connection closed): no map step keeps a one-slot server busy for a summary that failed."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _result(task: asyncio.Future[V]) -> V | LLMError:
    error = task.exception()
    if error is None:
        return task.result()
    if isinstance(error, LLMError):
        return error
    raise error


class LLMSummarizer:
    def __init__(self, llm: LLMClient, prompts: PromptLibrary, *, language: str) -> None:
        self.llm = llm
        self.prompts = prompts
        self.language = language

    def _output_tokens(self, task: str) -> int:
        return min(OUTPUT_TOKENS[task], self.llm.budget.output_reserve)

    def _messages(self, template: str, **variables: object) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.prompts.render("system")},
            {"role": "user", "content": self.prompts.render(template, **variables)},
        ]

    async def run(
        self, article: Article, *, request: str | None = None, on_partial: PartialSink | None = None
    ) -> SummaryOutcome:
        variables = {
            "meta": prompt_context.meta(article),
            "paragraphs": prompt_context.numbered(article),
            "language": self.language,
            "request": request or "",
        }
        summary_msgs = self._messages("summary", **variables)
        actors_msgs = self._messages("actors", **variables)
        room = self.llm.budget.context_window - max(
            self._output_tokens("summary"), self._output_tokens("actors")
        )
        needed = max(
            self.llm.prompt_tokens(SummaryOut, summary_msgs, task="summary"),
            self.llm.prompt_tokens(ActorsOut, actors_msgs, task="actors"),
        )
        if needed <= room:
            return await self._single_pass(article, summary_msgs, actors_msgs, on_partial)
        return await self._map_reduce(article, request=request)

    async def _single_pass(
        self,
        article: Article,
        summary_msgs: list[dict[str, str]],
        actors_msgs: list[dict[str, str]],
        on_partial: PartialSink | None = None,
    ) -> SummaryOutcome:
        summary_call = (
            self._streamed_summary(summary_msgs, on_partial)
            if on_partial is not None
            else self.llm.complete(
                SummaryOut,
                summary_msgs,
                task="summary",
                max_output_tokens=self._output_tokens("summary"),
            )
        )
        summary_c, actors_c = await first_failure_cancels(
            summary_call,
            self.llm.complete(
                ActorsOut,
                actors_msgs,
                task="actors",
                max_output_tokens=self._output_tokens("actors"),
            ),
        )
        usage = Usage()
        summary: Summary | None = None
        summary_error = actors_error = None
        if isinstance(summary_c, LLMError):
            summary_error = summary_c
        else:
            usage.add(summary_c.usage)
            summary = ground_summary(summary_c.value, article)
            if not summary.tldr and not summary.bullets:
                summary, summary_error = (
                    None,
                    LLMInvalidOutput("The language model wrote an empty summary."),
                )
        actors: list[Actor] = []
        dropped = 0
        if isinstance(actors_c, LLMError):
            actors_error = actors_c
        else:
            usage.add(actors_c.usage)
            actors, dropped = ground_actors(actors_c.value.actors, QuoteVerifier(article))
        if summary_error is not None and actors_error is not None:
            raise summary_error
        return SummaryOutcome(
            summary=summary,
            actors=actors,
            usage=usage,
            dropped_quotes=dropped,
            coverage=1.0,
            notice=None,
            summary_error=summary_error,
            actors_error=actors_error,
        )

    async def _streamed_summary(
        self, messages: list[dict[str, str]], on_partial: PartialSink
    ) -> Completion[SummaryOut]:
        """The summary call, streamed: each partial reply goes to `on_partial` as it arrives
        (the TL;DR and key points carry no quotes, so they can be shown before validation)."""
        async for update in self.llm.stream(
            SummaryOut, messages, task="summary", max_output_tokens=self._output_tokens("summary")
        ):
            if update.completion is not None:
                return update.completion
            await on_partial(partial_summary(update.partial))
        raise LLMInvalidOutput("The language model returned no answer.")

    def _chunk_messages(
        self, article: Article, numbers: list[int], part: int, parts: int
    ) -> list[dict[str, str]]:
        return self._messages(
            "chunk_notes",
            meta=prompt_context.meta(article),
            paragraphs=prompt_context.numbered(article, numbers),
            part=part,
            parts=parts,
            language=self.language,
        )

    def _reduce_messages(
        self, article: Article, notes: list[Bullet], covered: int, request: str | None
    ) -> list[dict[str, str]]:
        return self._messages(
            "reduce_summary",
            meta=prompt_context.meta(article),
            notes=notes,
            covered=covered,
            total=len(article.paragraphs),
            language=self.language,
            request=request or "",
        )

    def _plan_chunks(self, article: Article) -> list[list[int]]:
        """Chunks that each fit one map prompt, at most MAX_MAP_CHUNKS of them."""
        empty = self._chunk_messages(article, [], MAX_MAP_CHUNKS, MAX_MAP_CHUNKS)
        overhead = self.llm.prompt_tokens(ChunkNotesOut, empty, task="chunk_notes")
        room = self.llm.budget.context_window - self._output_tokens("chunk_notes")
        capacity = max(room - overhead - _MARGIN, 1)
        chunks = chunk_paragraphs(article, max_tokens=capacity, count_tokens=self.llm.budget.count)
        return chunks[:MAX_MAP_CHUNKS]

    def _fit_notes(
        self, article: Article, per_chunk: list[list[Bullet]], covered: int, request: str | None
    ) -> list[Bullet]:
        """All notes if the reduce prompt fits, else the first few of every chunk."""
        room = self.llm.budget.context_window - self._output_tokens("summary")
        for keep in range(max(map(len, per_chunk), default=0), 0, -1):
            notes = [n for chunk in per_chunk for n in chunk[:keep]]
            messages = self._reduce_messages(article, notes, covered, request)
            if self.llm.prompt_tokens(SummaryOut, messages, task="summary") <= room:
                return notes
        return [chunk[0] for chunk in per_chunk if chunk][:1]

    async def _map_reduce(self, article: Article, *, request: str | None) -> SummaryOutcome:
        chunks = self._plan_chunks(article)
        covered = sum(len(c) for c in chunks)
        coverage = covered / len(article.paragraphs)
        notes = await all_or_cancel(
            [
                self.llm.complete(
                    ChunkNotesOut,
                    self._chunk_messages(article, chunk, i, len(chunks)),
                    task="chunk_notes",
                    max_output_tokens=self._output_tokens("chunk_notes"),
                )
                for i, chunk in enumerate(chunks, start=1)
            ]
        )
        usage = Usage()
        for note in notes:
            usage.add(note.usage)
        per_chunk = [ground_bullets(note.value.points, article) for note in notes]
        reduce_c = await self.llm.complete(
            SummaryOut,
            self._reduce_messages(
                article, self._fit_notes(article, per_chunk, covered, request), covered, request
            ),
            task="summary",
            max_output_tokens=self._output_tokens("summary"),
        )
        usage.add(reduce_c.usage)
        merged = merge_actors([a for note in notes for a in note.value.actors])
        actors, dropped = ground_actors(merged, QuoteVerifier(article))
        notice = (
            f"This article is long: the summary is based on paragraphs 1-{covered} "
            f"of {len(article.paragraphs)} ({coverage:.0%})."
            if coverage < 1.0
            else f"This article is long: it was read in {len(chunks)} parts and the notes combined."
        )
        return SummaryOutcome(
            summary=ground_summary(reduce_c.value, article),
            actors=actors,
            usage=usage,
            dropped_quotes=dropped,
            coverage=coverage,
            notice=notice,
        )


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def merge_actors(claims: list[ActorClaim]) -> list[ActorClaim]:
    """Merge actors found in several chunks by name; rank by how many chunks mention them."""
    merged: dict[str, ActorClaim] = {}
    seen_in: dict[str, int] = {}
    for claim in claims:
        key = _name_key(claim.name)
        if not key:
            continue
        seen_in[key] = seen_in.get(key, 0) + 1
        if key not in merged:
            merged[key] = claim.model_copy(deep=True)
            continue
        kept = merged[key]
        if not kept.role and claim.role:
            kept.role = claim.role
        if claim.did and claim.did not in kept.did:
            kept.did = f"{kept.did} {claim.did}".strip()
        kept.quotes.extend(claim.quotes)
    ranked = sorted(merged, key=lambda k: -seen_in[k])  # stable: first-seen order breaks ties
    return [merged[k] for k in ranked][: MAX_ACTORS * 2]


def partial_summary(partial: dict[str, Any]) -> Summary:
    """What a partial summary reply already says: the TL;DR and the key-point texts so far
    (paragraph references are left out until the reply is complete and grounded)."""
    tldr = partial.get("tldr")
    bullets = partial.get("bullets")
    texts = [
        str(b.get("text")).strip()
        for b in (bullets if isinstance(bullets, list) else [])
        if isinstance(b, dict) and isinstance(b.get("text"), str) and b.get("text", "").strip()
    ]
    return Summary(
        tldr=tldr.strip() if isinstance(tldr, str) else "",
        bullets=[Bullet(text=t, paragraphs=[]) for t in texts],
    )
