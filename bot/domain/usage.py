"""Token usage, summed over LLM calls and recorded per call."""

from __future__ import annotations

from pydantic import BaseModel


class Usage(BaseModel):
    """Tokens spent, summed over `calls` calls."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_tokens += other.cached_tokens


class CallRecord(BaseModel):
    """One LLM call, as handed to the usage sink (store, eval, logs)."""

    task: str
    model: str
    usage: Usage
    latency_ms: float
    mode: str  # "json_schema", "json_object" or "text"
    streamed: bool = False
