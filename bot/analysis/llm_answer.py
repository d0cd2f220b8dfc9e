"""Grounded answers with the LLM, streamed.

The model is asked for quotes first, then whether the article answers, then the answer (evidence
before conclusion). We stream the `answer` field as it grows, through `QuoteStreamGuard`, so a
quoted span appears only once it has been verified against the article.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

from bot.analysis import prompt_context
from bot.analysis.grounding import ground_answer
from bot.analysis.models import AnswerDelta, AnswerDone, AnswerEvent, AnswerResult
from bot.analysis.quotes import QuoteVerifier
from bot.analysis.retrieval import select_paragraphs
from bot.analysis.schemas import AnswerOut
from bot.analysis.stream_guard import QuoteStreamGuard
from bot.domain.article import Article
from bot.domain.turn import Turn
from bot.llm.client import LLMClient
from bot.prompts import PromptLibrary

ANSWER_TEMPLATES = ("system", "_article", "answer")
# An answer is one to four sentences plus a few quotes: it doesn't need the whole output
# reserve, and asking for less leaves more of a small context window for the article.
ANSWER_OUTPUT_TOKENS = 800
# Earlier turns given as context: enough for pronouns and follow-ups, bounded in size.
MAX_TURNS = 6
MAX_TURN_ANSWER_CHARS = 600


def recent_turns(turns: Sequence[Turn]) -> list[Turn]:
    """The last turns, with long answers shortened; the article stays the only source of facts."""
    kept = list(turns)[-MAX_TURNS:]
    return [
        Turn(question=t.question, answer=t.answer[:MAX_TURN_ANSWER_CHARS].rstrip()) for t in kept
    ]


def choose_context(
    article: Article,
    question: str,
    turns: Sequence[Turn],
    *,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
) -> list[int]:
    """Paragraphs to send with a question: the whole article if it fits, else the best ones."""
    return select_paragraphs(
        article,
        question,
        budget_tokens=budget_tokens,
        count_tokens=count_tokens,
        history=[t.question for t in turns],
    )


class LLMAnswerer:
    def __init__(self, llm: LLMClient, prompts: PromptLibrary, *, context_tokens: int) -> None:
        self.llm = llm
        self.prompts = prompts
        self.context_tokens = context_tokens

    def messages(
        self, article: Article, question: str, turns: Sequence[Turn], numbers: list[int]
    ) -> list[dict[str, str]]:
        body = self.prompts.render(
            "answer",
            meta=prompt_context.meta(article),
            paragraphs=prompt_context.numbered(article, numbers),
            excerpt=len(numbers) < len(article.paragraphs),
            turns=recent_turns(turns),
            question=question,
        )
        return [
            {"role": "system", "content": self.prompts.render("system")},
            {"role": "user", "content": body},
        ]

    def context_budget(self, article: Article, question: str, turns: Sequence[Turn]) -> int:
        """Article tokens we may send: the QA setting, shrunk if the window is smaller."""
        overhead = self.llm.prompt_tokens(
            AnswerOut, self.messages(article, question, turns, []), task="answer"
        )
        room = self.llm.budget.context_window - self.output_tokens
        return max(0, min(self.context_tokens, room - overhead))

    @property
    def output_tokens(self) -> int:
        return min(ANSWER_OUTPUT_TOKENS, self.llm.budget.output_reserve)

    async def stream(
        self, article: Article, question: str, turns: Sequence[Turn]
    ) -> AsyncIterator[AnswerEvent]:
        numbers = choose_context(
            article,
            question,
            turns,
            budget_tokens=self.context_budget(article, question, turns),
            count_tokens=self.llm.budget.count,
        )
        verifier = QuoteVerifier(article)
        guard = QuoteStreamGuard(verifier)
        seen = ""
        shown: list[str] = []
        completion = None
        async for update in self.llm.stream(
            AnswerOut,
            self.messages(article, question, turns, numbers),
            task="answer",
            max_output_tokens=self.output_tokens,
        ):
            if update.completion is not None:
                completion = update.completion
                text = completion.value.answer
            else:
                partial_answer = update.partial.get("answer")
                if not isinstance(partial_answer, str):
                    continue
                text = partial_answer
            if text.startswith(seen) and len(text) > len(seen):
                safe = guard.feed(text[len(seen) :])
                seen = text
                if safe:
                    shown.append(safe)
                    yield AnswerDelta(safe)
        tail = guard.finish()
        if tail:
            shown.append(tail)
            yield AnswerDelta(tail)
        if completion is None:  # the client always ends with a completion; be explicit anyway
            raise RuntimeError("LLM stream ended without a completion")
        final = completion.value.answer
        # What the user saw stream is what we keep; re-guard only if the final text diverged.
        guarded = "".join(shown) if seen == final else guard_text(verifier, final)
        answer, dropped = ground_answer(completion.value, verifier, answer_text=guarded)
        if not shown:  # nothing streamed (e.g. an empty answer): the final text is all there is
            yield AnswerDelta(answer.answer)
        yield AnswerDone(
            AnswerResult(
                answer=answer,
                engine="llm",
                usage=completion.usage,
                dropped_quotes=dropped + guard.unverified,
                context_paragraphs=numbers,
            )
        )


def guard_text(verifier: QuoteVerifier, text: str) -> str:
    """Apply the quote guard to a complete text (non-streamed paths)."""
    guard = QuoteStreamGuard(verifier)
    return guard.feed(text) + guard.finish()
