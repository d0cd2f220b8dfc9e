"""Optional: the compatibility tasks against a real OpenAI-compatible server.

Set LLM_COMPAT_URL (e.g. http://127.0.0.1:8080/v1 for llama.cpp, http://127.0.0.1:11434/v1 for
Ollama), and LLM_COMPAT_MODEL / LLM_COMPAT_API_KEY if the server needs them. Skipped otherwise:
tests never reach the network on their own. The variables are read at import, because the
test-wide fixture clears every LLM_* variable from the environment.
"""

from __future__ import annotations

import os

import pytest

from bot.analysis.analyzer import Analyzer
from bot.analysis.quotes import QuoteVerifier
from bot.domain.turn import Turn
from bot.ingest.extract import extract_text
from bot.llm.client import LLMClient
from tests.shared_data import SAMPLE_ARTICLE

COMPAT_URL = os.environ.get("LLM_COMPAT_URL")
COMPAT_MODEL = os.environ.get("LLM_COMPAT_MODEL", "default")
COMPAT_KEY = os.environ.get("LLM_COMPAT_API_KEY")

pytestmark = pytest.mark.skipif(
    not COMPAT_URL, reason="set LLM_COMPAT_URL to run against a real LLM server"
)


async def test_summarize_ask_follow_up_on_a_real_server(make_settings) -> None:
    article = extract_text(SAMPLE_ARTICLE.read_text(encoding="utf-8"), kind="markdown")
    settings = make_settings(
        llm_base_url=COMPAT_URL,
        llm_model=COMPAT_MODEL,
        llm_api_key=COMPAT_KEY,
        llm_timeout_seconds=float(os.environ.get("LLM_COMPAT_TIMEOUT", "300")),
    )
    verifier = QuoteVerifier(article)
    async with LLMClient(settings.llm) as llm:
        analyzer = Analyzer(settings.analysis, llm=llm)
        summary = await analyzer.summarize(article)  # no fallback: the LLM must do it
        first = await analyzer.answer(article, "Who voted against the pilot?")
        follow = await analyzer.answer(
            article,
            "When will construction begin?",
            turns=[Turn(question="Who voted against the pilot?", answer=first.answer.answer)],
        )
    assert summary.engine == "llm" and summary.summary.tldr and summary.summary.bullets
    for bullet in summary.summary.bullets:
        assert all(article.has_paragraph(n) for n in bullet.paragraphs)
    for result in (first, follow):
        assert result.engine == "llm" and result.answer.answer.strip()
        for quote in result.answer.quotes:
            assert verifier.match(quote.text) is not None
