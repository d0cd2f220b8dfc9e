"""Token budget: will this prompt plus the reply fit the model's context window?

Checked before every LLM call so an oversized article fails fast with a clear message instead
of a server-side 400 (or, worse, a silently truncated prompt on servers that cut from the top).
Counts are tiktoken counts with OpenAI's published per-message overhead; for models tiktoken
doesn't know (local models) they are an estimate, which is why the reserve has headroom.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import tiktoken

from bot.errors import BudgetExceeded
from bot.tokens import count_tokens, encoding_for_model

# OpenAI's rule of thumb for chat models: every message costs a few framing tokens, a `name`
# one more, and the reply is primed with three.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3


class TokenBudget:
    """Token accounting for one model and context window."""

    def __init__(self, model: str, context_window: int, output_reserve: int) -> None:
        if output_reserve >= context_window:
            raise ValueError("output_reserve must be smaller than context_window")
        self.model = model
        self.context_window = context_window
        self.output_reserve = output_reserve
        self.encoding: tiktoken.Encoding = encoding_for_model(model)

    def count(self, text: str) -> int:
        return count_tokens(text, self.encoding)

    def count_messages(self, messages: Iterable[Mapping[str, str]]) -> int:
        """Prompt tokens of a chat request, framing included."""
        total = REPLY_PRIMING_TOKENS
        for message in messages:
            total += TOKENS_PER_MESSAGE
            for key, value in message.items():
                total += self.count(value)
                if key == "name":
                    total += TOKENS_PER_NAME
        return total

    def prompt_room(self) -> int:
        """Tokens left for the prompt once the default output reserve is set aside."""
        return self.context_window - self.output_reserve

    def check(
        self, messages: Iterable[Mapping[str, str]], max_output_tokens: int | None = None
    ) -> int:
        """Return the prompt's token count, or raise `BudgetExceeded` if it cannot fit.

        The reply needs `max_output_tokens` when the caller sets one, else the configured reserve.
        """
        prompt = self.count_messages(messages)
        output = self.output_reserve if max_output_tokens is None else max_output_tokens
        if prompt + output > self.context_window:
            room = max(self.context_window - output, 0)
            raise BudgetExceeded(
                f"This is too long for the language model: the request needs about {prompt:,} "
                f"tokens but only {room:,} fit in its context window."
            )
        return prompt
