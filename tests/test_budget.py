"""TokenBudget: offline token counts, message overhead and the context-window check."""

from __future__ import annotations

import pytest

from bot.errors import BudgetExceeded
from bot.llm.budget import TokenBudget

TEXT = "Port Ellery's council approved a tidal energy pilot on Tuesday night, 7 votes to 2."


def test_known_models_use_their_encoding() -> None:
    assert TokenBudget("gpt-4o-mini", 128_000, 4_000).encoding.name == "o200k_base"
    assert TokenBudget("gpt-4", 8_192, 1_000).encoding.name == "cl100k_base"


def test_unknown_model_falls_back_to_o200k() -> None:
    budget = TokenBudget("llama3.1:8b-instruct-q4_K_M", 8_192, 1_000)
    assert budget.encoding.name == "o200k_base"
    assert budget.count(TEXT) == len(budget.encoding.encode(TEXT))


def test_count_matches_the_encoding_and_treats_special_tokens_as_text() -> None:
    budget = TokenBudget("gpt-4o", 128_000, 4_000)
    assert budget.count(TEXT) == len(budget.encoding.encode(TEXT))
    assert 10 < budget.count(TEXT) < len(TEXT)
    # An article quoting a special token must not crash the count (nor become one token).
    assert budget.count("a <|endoftext|> b") > 3


def test_message_overhead() -> None:
    budget = TokenBudget("gpt-4o", 128_000, 4_000)
    messages = [
        {"role": "system", "content": "You summarise articles."},
        {"role": "user", "content": TEXT},
    ]
    content = sum(budget.count(m["role"]) + budget.count(m["content"]) for m in messages)
    # 3 framing tokens per message, plus 3 priming the reply.
    assert budget.count_messages(messages) == content + 3 * len(messages) + 3
    named = [{"role": "user", "name": "alice", "content": TEXT}]
    plain = [{"role": "user", "content": TEXT}]
    assert budget.count_messages(named) == budget.count_messages(plain) + budget.count("alice") + 1
    assert budget.count_messages([]) == 3


def test_prompt_room() -> None:
    assert TokenBudget("gpt-4o", 16_000, 3_000).prompt_room() == 13_000


def test_check_returns_prompt_tokens_and_allows_exact_fit() -> None:
    messages = [{"role": "user", "content": TEXT}]
    probe = TokenBudget("gpt-4o", 10_000, 1_000)
    prompt = probe.count_messages(messages)
    exact = TokenBudget("gpt-4o", prompt + 500, 500)
    assert exact.check(messages) == prompt
    with pytest.raises(BudgetExceeded):
        TokenBudget("gpt-4o", prompt + 499, 499).check(messages, max_output_tokens=500)


def test_check_raises_when_prompt_and_reserve_exceed_window() -> None:
    budget = TokenBudget("gpt-4o", 2_048, 512)
    long_text = "word " * 3_000
    with pytest.raises(BudgetExceeded) as info:
        budget.check([{"role": "user", "content": long_text}])
    message = str(info.value)
    assert "1,536" in message  # the room left for the prompt
    assert "word word" not in message  # the article itself is never echoed


def test_max_output_tokens_overrides_the_reserve() -> None:
    budget = TokenBudget("gpt-4o", 4_096, 1_000)
    messages = [{"role": "user", "content": "word " * 2_000}]  # ~2,000 tokens
    assert budget.check(messages) > 1_900
    with pytest.raises(BudgetExceeded):
        budget.check(messages, max_output_tokens=3_000)
    assert budget.check(messages, max_output_tokens=200) == budget.count_messages(messages)


def test_reserve_must_leave_room() -> None:
    with pytest.raises(ValueError):
        TokenBudget("gpt-4o", 4_096, 4_096)
